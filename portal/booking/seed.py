"""Demo timetable: 8 departments, 30 doctors, 14 days of sessions in 15-minute slots (a few
nearly full, a few full), and past visits for the demo family so "doctors you have seen" shows.

It goes in through the same import the hospital's systems use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import account_id_with_phone
from portal.accounts.services import PatientService
from portal.booking.imports import import_timetable
from portal.booking.models import BOOKED, COMPLETED, Doctor, Schedule, Slot
from portal.booking.schemas import DepartmentIn, DoctorIn, SessionIn, TimetableImport
from portal.booking.services import add_appointment
from portal.core.events import EventBus
from portal.payments.services import BillService
from portal.settings import I18nSettings

if TYPE_CHECKING:
    from portal.accounts.models import Patient

# (code, name, English name, where, what it treats, keywords patients search for)
DEPARTMENTS = [
    (
        "CARD",
        "心血管内科",
        "Cardiology",
        "门诊楼 3 层 A 区",
        "高血压、冠心病、心律失常、心力衰竭的诊断和长期管理。",
        [
            "高血压",
            "血压高",
            "冠心病",
            "心绞痛",
            "心律失常",
            "心慌",
            "心悸",
            "胸闷",
            "胸痛",
            "心衰",
            "hypertension",
            "heart",
        ],
    ),
    (
        "RESP",
        "呼吸内科",
        "Respiratory Medicine",
        "门诊楼 3 层 B 区",
        "咳嗽、哮喘、慢阻肺、肺部感染和肺结节。",
        ["咳嗽", "哮喘", "慢阻肺", "肺炎", "气短", "喘", "肺结节", "cough", "asthma"],
    ),
    (
        "GAST",
        "消化内科",
        "Gastroenterology",
        "门诊楼 4 层 A 区",
        "胃病、肠病、肝病，胃镜肠镜检查前的门诊。",
        ["胃痛", "胃炎", "反酸", "腹泻", "便秘", "肝病", "脂肪肝", "幽门螺杆菌", "stomach"],
    ),
    (
        "ENDO",
        "内分泌科",
        "Endocrinology",
        "门诊楼 4 层 B 区",
        "糖尿病、甲状腺疾病、骨质疏松和痛风。",
        ["糖尿病", "血糖高", "甲状腺", "甲亢", "骨质疏松", "痛风", "diabetes", "thyroid"],
    ),
    (
        "NEUR",
        "神经内科",
        "Neurology",
        "门诊楼 5 层 A 区",
        "头晕头痛、脑梗中风、帕金森病、失眠和记忆力下降。",
        [
            "头晕",
            "头痛",
            "中风",
            "脑梗",
            "帕金森",
            "失眠",
            "记忆力下降",
            "手抖",
            "stroke",
            "dizziness",
        ],
    ),
    (
        "ORTH",
        "骨科",
        "Orthopaedics",
        "门诊楼 2 层 A 区",
        "骨折、颈腰椎病、关节疼痛和关节置换。",
        ["骨折", "腰痛", "颈椎病", "膝关节痛", "关节炎", "腰椎间盘突出", "back pain", "knee"],
    ),
    (
        "OPHT",
        "眼科",
        "Ophthalmology",
        "门诊楼 2 层 B 区",
        "白内障、青光眼、眼底病和视力下降。",
        ["白内障", "青光眼", "视力下降", "眼花", "眼干", "黄斑", "cataract", "glaucoma"],
    ),
    (
        "GERI",
        "老年医学科",
        "Geriatrics",
        "门诊楼 1 层 C 区（近无障碍入口）",
        "为老年人看多种慢病、合理用药、跌倒预防和记忆问题，一次看全。",
        ["多种慢病", "用药咨询", "跌倒", "记忆力", "营养不良", "老年人", "elderly"],
    ),
]

# (code, department, name, title, treats, keywords)
DOCTORS = [
    ("D101", "CARD", "张伟", "chief", "高血压、冠心病介入治疗", ["高血压", "冠心病", "支架"]),
    (
        "D102",
        "CARD",
        "刘建华",
        "associate_chief",
        "心律失常、心房颤动",
        ["房颤", "心律失常", "心慌"],
    ),
    ("D103", "CARD", "陈静", "attending", "心力衰竭、高血压长期管理", ["心衰", "高血压"]),
    ("D104", "CARD", "赵明", "attending", "胸闷胸痛、血脂异常", ["胸闷", "血脂"]),
    ("D201", "RESP", "王丽华", "chief", "慢阻肺、哮喘", ["慢阻肺", "哮喘"]),
    ("D202", "RESP", "孙志强", "associate_chief", "肺部感染、肺结节", ["肺结节", "肺炎"]),
    ("D203", "RESP", "周敏", "attending", "慢性咳嗽", ["咳嗽"]),
    ("D204", "RESP", "蒋红", "attending", "肺康复、睡眠呼吸暂停", ["打鼾", "呼吸暂停"]),
    ("D301", "GAST", "李国庆", "chief", "消化道肿瘤早期筛查、胃肠镜", ["胃镜", "肠镜"]),
    ("D302", "GAST", "吴晓燕", "associate_chief", "肝病、脂肪肝", ["肝病", "脂肪肝"]),
    ("D303", "GAST", "郑凯", "attending", "胃炎、幽门螺杆菌感染", ["胃炎", "幽门螺杆菌"]),
    ("D304", "GAST", "冯雪", "attending", "便秘、肠易激综合征", ["便秘", "腹泻"]),
    ("D401", "ENDO", "黄海燕", "chief", "糖尿病及并发症", ["糖尿病", "血糖"]),
    ("D402", "ENDO", "何俊", "associate_chief", "甲状腺疾病", ["甲状腺", "甲亢", "甲减"]),
    ("D403", "ENDO", "马丽", "attending", "骨质疏松、痛风", ["骨质疏松", "痛风"]),
    ("D404", "ENDO", "朱琳", "attending", "糖尿病饮食与胰岛素调整", ["糖尿病", "胰岛素"]),
    ("D501", "NEUR", "胡振东", "chief", "脑血管病、中风后康复", ["中风", "脑梗"]),
    ("D502", "NEUR", "郭晓梅", "associate_chief", "头痛、头晕", ["头痛", "头晕"]),
    ("D503", "NEUR", "林涛", "attending", "帕金森病、睡眠障碍", ["帕金森", "失眠"]),
    ("D504", "NEUR", "高翔", "attending", "癫痫、记忆力下降", ["癫痫", "记忆力"]),
    ("D601", "ORTH", "罗建国", "chief", "髋膝关节置换", ["关节置换", "膝关节"]),
    ("D602", "ORTH", "梁宏", "associate_chief", "脊柱外科、腰椎间盘突出", ["腰痛", "腰椎间盘突出"]),
    ("D603", "ORTH", "宋立", "attending", "骨质疏松性骨折", ["骨折"]),
    ("D604", "ORTH", "谢磊", "attending", "运动损伤、肩周炎", ["肩周炎", "扭伤"]),
    ("D701", "OPHT", "韩梅", "chief", "白内障手术", ["白内障"]),
    ("D702", "OPHT", "唐亮", "associate_chief", "青光眼", ["青光眼", "眼压高"]),
    ("D703", "OPHT", "曹颖", "attending", "眼底病、老年黄斑变性", ["黄斑", "眼底"]),
    ("D801", "GERI", "许文华", "chief", "老年多病共存、合理用药", ["多种慢病", "用药"]),
    ("D802", "GERI", "邓秀兰", "associate_chief", "老年综合评估、跌倒预防", ["跌倒", "评估"]),
    ("D803", "GERI", "彭辉", "attending", "认知障碍、老年营养", ["记忆力", "营养"]),
]

FEES = {
    "chief": "50.00",
    "associate_chief": "30.00",
    "attending": "20.00",
}
BIOS = {
    "chief": "从事临床工作三十余年，擅长疑难病例诊治，耐心细致。",
    "associate_chief": "从事临床工作二十年，注重与患者沟通，讲解清楚。",
    "attending": "从事临床工作十年，接诊认真，解释耐心。",
}
DAYS = 14
# Sessions the demo shows as full, and as nearly full (two places left): a doctor's n-th session
# from tomorrow on.
FULL = [("D101", 0), ("D701", 0), ("D401", 1), ("D201", 0)]
NEARLY_FULL = [("D102", 0), ("D501", 0), ("D801", 0), ("D101", 1)]


def _session(doctor: str, title: str, day: date, period: str, room: str) -> SessionIn:
    morning = period == "morning"
    return SessionIn(
        code=f"DEMO-{doctor}-{day:%Y%m%d}-{period}",
        doctor=doctor,
        date=day,
        period=period,  # type: ignore[arg-type]
        fee=FEES[title],
        room=room,
        start="08:00" if morning else "13:30",
        end="11:30" if morning else "16:30",
        slot_minutes=15,
        places_per_slot=2 if title == "chief" else 3,
    )


def demo_timetable(today: date) -> TimetableImport:
    """Two weeks from today: each doctor works about two half-days in three; a few on Saturday."""
    sessions = []
    for index, (code, department, _name, title, _treats, _words) in enumerate(DOCTORS):
        floor = next(c for c in dict((d[0], d[3]) for d in DEPARTMENTS)[department] if c.isdigit())
        room = f"{floor}{index % 10 + 1:02d}"
        for offset in range(DAYS):
            day = today + timedelta(days=offset)
            weekday = day.weekday()
            if weekday == 6 or (weekday == 5 and index % 4 != 0):
                continue
            if weekday < 5 and (index + offset) % 3 == 2:
                continue
            period = "morning" if weekday == 5 or (index + offset) % 2 == 0 else "afternoon"
            sessions.append(_session(code, title, day, period, f"{room} 诊室"))
    return TimetableImport(
        departments=[
            DepartmentIn(
                code=code,
                name=name,
                name_en=name_en,
                location=where,
                description=about,
                keywords=words,
                position=position,
            )
            for position, (code, name, name_en, where, about, words) in enumerate(DEPARTMENTS)
        ],
        doctors=[
            DoctorIn(
                code=code,
                department=department,
                name=name,
                title=title,  # type: ignore[arg-type]
                specialties=treats,
                keywords=words,
                bio=BIOS[title],
            )
            for code, department, name, title, treats, words in DOCTORS
        ],
        sessions=sessions,
    )


async def _fill(session: AsyncSession, today: date) -> None:
    """Places taken through other channels (the desk, the phone line) for the busy sessions."""
    for wanted, leave in ((FULL, 0), (NEARLY_FULL, 2)):
        for doctor_code, nth in wanted:
            schedule_id = await session.scalar(
                select(Schedule.id)
                .join(Doctor, Doctor.id == Schedule.doctor_id)
                .where(Doctor.code == doctor_code, Schedule.day > today)
                .order_by(Schedule.day, Schedule.period)
                .offset(nth)
                .limit(1)
            )
            slots = list(
                await session.scalars(
                    select(Slot).where(Slot.schedule_id == schedule_id).order_by(Slot.starts_at)
                )
            )
            for position, slot in enumerate(slots):
                taken = slot.capacity - (1 if position >= len(slots) - leave else 0)
                await session.execute(update(Slot).where(Slot.id == slot.id).values(booked=taken))


# (account phone, patient name, doctor, days ago or ahead, status)
VISITS = [
    ("13800138000", "王秀英", "D101", -40, COMPLETED),
    ("13800138000", "王秀英", "D701", -20, COMPLETED),
    ("13800138000", "李建国", "D602", -35, COMPLETED),
    ("13800138000", "李静", "D303", -60, COMPLETED),
    ("13900139000", "陈德明", "D801", -30, COMPLETED),
]


async def _family_member(
    session: AsyncSession, phone: str, name: str
) -> tuple[UUID, Patient] | None:
    """A demo account's family member by name (the accounts demo added them)."""
    account_id = await account_id_with_phone(session, phone)
    if account_id is None:
        return None
    family = await PatientService(session).family_of(account_id)
    patient = next((m.patient for m in family if m.patient.name == name), None)
    return (account_id, patient) if patient is not None else None


async def _visits(session: AsyncSession, today: date) -> None:
    """Past visits (with their past sessions) and one upcoming booking for the demo family."""
    zone = I18nSettings().zone
    past = [
        _session(
            doctor,
            next(d[3] for d in DOCTORS if d[0] == doctor),
            today + timedelta(days=offset),
            "morning",
            "门诊诊室",
        )
        for _phone, _name, doctor, offset, _status in VISITS
    ]
    await import_timetable(session, TimetableImport(sessions=past), zone)
    completed = []
    for phone, name, doctor_code, offset, status in VISITS:
        row = await _family_member(session, phone, name)
        if row is None:
            continue
        account_id, patient = row
        day = today + timedelta(days=offset)
        slot = await session.scalar(
            select(Slot)
            .join(Schedule, Schedule.id == Slot.schedule_id)
            .where(Schedule.code == f"DEMO-{doctor_code}-{day:%Y%m%d}-morning")
            .order_by(Slot.starts_at)
            .offset(3)
            .limit(1)
        )
        if slot is None:
            continue
        starts = slot.starts_at
        appointment = await add_appointment(
            session, slot, patient, account_id, starts - timedelta(days=3), source="online"
        )
        appointment.status = status
        if status == COMPLETED:
            appointment.checked_in_at = starts - timedelta(minutes=20)
            completed.append(appointment.id)
        await session.execute(update(Slot).where(Slot.id == slot.id).values(booked=Slot.booked + 1))
    await session.flush()
    await BillService(session).mark_paid(completed)  # paid at the window on the day


async def _upcoming(session: AsyncSession, today: date) -> None:
    """李建国 has a neurology appointment in a few days (shows under My appointments)."""
    row = await _family_member(session, "13800138000", "李建国")
    doctor = await session.scalar(select(Doctor).where(Doctor.code == "D503"))
    if row is None or doctor is None:
        return
    slot = await session.scalar(
        select(Slot)
        .join(Schedule, Schedule.id == Slot.schedule_id)
        .where(Schedule.doctor_id == doctor.id, Schedule.day >= today + timedelta(days=2))
        .order_by(Slot.starts_at)
        .offset(2)
        .limit(1)
    )
    if slot is None:
        return
    account_id, patient = row
    appointment = await add_appointment(
        session, slot, patient, account_id, datetime.now(tz=UTC), source="online"
    )
    appointment.status = BOOKED
    await session.execute(update(Slot).where(Slot.id == slot.id).values(booked=Slot.booked + 1))


async def seed_booking(session: AsyncSession, today: date, _events: EventBus) -> None:
    """The demo timetable, busy sessions, and the demo family's visits."""
    await import_timetable(session, demo_timetable(today), I18nSettings().zone)
    await _fill(session, today)
    await _visits(session, today)
    await _upcoming(session, today)
    await session.flush()
