"""Demo staff (development only): one person per kind of desk."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.events import EventBus
from portal.core.touchpoints import Role, Touchpoint
from portal.staff.services import StaffService

DEMO_PASSWORD = "yimatong-demo"  # noqa: S105 - documented development login

DEMO_DOCTOR_CODE = "D102"
"""The demo doctor is 刘建华 of cardiology in the demo timetable (portal/booking/seed.py): his
console runs the queues of his own sessions, in room 302."""

# (username, name, role, desks, room, doctor code)
DEMO_STAFF = [
    (
        "nurse",
        "护士 周敏",
        Role.NURSE,
        [Touchpoint.REGISTRATION, Touchpoint.TRIAGE, Touchpoint.REPORT_PICKUP],
        None,
        None,
    ),
    ("doctor", "医生 刘建华", Role.DOCTOR, [Touchpoint.CLINIC], "302 诊室", DEMO_DOCTOR_CODE),
    ("pharmacist", "药师 孙悦", Role.PHARMACIST, [Touchpoint.PHARMACY], None, None),
    ("lab", "检验 吴涛", Role.LAB, [Touchpoint.LAB, Touchpoint.REPORT_PICKUP], None, None),
    ("cashier", "收费 郑丽", Role.CASHIER, [Touchpoint.CASHIER], None, None),
    ("admin", "管理员 何静", Role.ADMIN, [], None, None),
]


async def seed_staff(session: AsyncSession, today: date, _events: EventBus) -> None:
    service = StaffService(session=session)
    for username, name, role, touchpoints, room, doctor_code in DEMO_STAFF:
        await service.create_staff(
            username=username,
            display_name=name,
            password=DEMO_PASSWORD,
            role=role,
            touchpoints=touchpoints,
            room=room,
            doctor_code=doctor_code,
        )
