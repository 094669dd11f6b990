"""Apply a timetable from the hospital's systems: upsert departments, doctors, sessions and their
time slots by code, in one transaction. Places already booked are never taken away: a slot's
capacity never drops below its booked count, and a slot someone booked is closed, not deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from portal.booking.models import Appointment, Department, Doctor, Schedule, Slot
from portal.booking.schemas import ImportResult, SessionIn, SlotIn, TimetableImport
from portal.db.transactions import begin_write

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """Why a timetable cannot be imported: where in it (``sessions[2].doctor``), and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class ImportRefused(Exception):
    """The timetable contradicts itself or what we hold; ``problems`` says where, in words."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def fee_cents(fee: Decimal) -> int:
    return int((fee * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def session_slots(item: SessionIn, where: str = "session") -> list[SlotIn]:
    """The session's time slots: as listed, or cut from its range."""
    if item.slots is not None:
        return item.slots
    if item.start is None or item.end is None or item.places_per_slot is None:
        raise ImportRefused(
            [Problem(where, "give either slots, or start, end and places_per_slot")]
        )
    start = datetime.combine(item.date, _clock(item.start))
    end = datetime.combine(item.date, _clock(item.end))
    step = timedelta(minutes=item.slot_minutes)
    slots = []
    while start + step <= end:
        slots.append(
            SlotIn(
                start=start.strftime("%H:%M"),
                end=(start + step).strftime("%H:%M"),
                capacity=item.places_per_slot,
            )
        )
        start += step
    return slots


def _check_slots(where: str, item: SessionIn, slots: list[SlotIn]) -> list[Problem]:
    if not slots:
        return [
            Problem(where, "it has no time slots: end must be at least slot_minutes after start")
        ]
    listed = item.slots is not None
    problems = []
    previous_end: time | None = None
    for index, slot in sorted(enumerate(slots), key=lambda pair: pair[1].start):
        at = f"{where}.slots[{index}]" if listed else where
        if _clock(slot.end) <= _clock(slot.start):
            problems.append(Problem(at, f"the slot at {slot.start} ends before it starts"))
        if previous_end is not None and _clock(slot.start) < previous_end:
            problems.append(Problem(at, f"the slot at {slot.start} overlaps the one before"))
        previous_end = _clock(slot.end)
    return problems


def _repeated_codes(payload: TimetableImport) -> list[Problem]:
    """Each code once per list: the same code twice would be two rows for one thing."""
    problems = []
    for name, codes in (
        ("departments", [d.code for d in payload.departments]),
        ("doctors", [d.code for d in payload.doctors]),
        ("sessions", [s.code for s in payload.sessions]),
    ):
        seen: set[str] = set()
        for index, code in enumerate(codes):
            if code in seen:
                problems.append(
                    Problem(f"{name}[{index}].code", f"{code} is already given earlier in {name}")
                )
            seen.add(code)
    return problems


async def import_timetable(
    session: AsyncSession, payload: TimetableImport, zone: ZoneInfo
) -> ImportResult:
    """Upsert everything in ``payload``; raise ``ImportRefused`` (changing nothing) on problems."""
    result = ImportResult()
    if repeated := _repeated_codes(payload):
        raise ImportRefused(repeated)
    await begin_write(session)
    try:
        departments = await _departments(session, payload, result)
        doctors = await _doctors(session, payload, departments, result)
        schedules = await _existing_schedules(session, [item.code for item in payload.sessions])
        slots = await _existing_slots(session, [s.id for s in schedules.values()], zone)
        for index, item in enumerate(payload.sessions):
            where = f"sessions[{index}]"
            await _session(session, where, item, doctors, schedules, slots, zone, result)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return result


def _chunks(values: list[T], size: int = 500) -> list[list[T]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


async def _existing_schedules(session: AsyncSession, codes: list[str]) -> dict[str, Schedule]:
    found: dict[str, Schedule] = {}
    for chunk in _chunks(sorted(set(codes))):
        for schedule in await session.scalars(select(Schedule).where(Schedule.code.in_(chunk))):
            found[schedule.code] = schedule
    return found


async def _existing_slots(
    session: AsyncSession, schedule_ids: list[UUID], zone: ZoneInfo
) -> dict[UUID, dict[datetime, Slot]]:
    """Each known session's slots by local start time."""
    found: dict[UUID, dict[datetime, Slot]] = {}
    for chunk in _chunks(schedule_ids):
        for slot in await session.scalars(select(Slot).where(Slot.schedule_id.in_(chunk))):
            local = slot.starts_at.astimezone(zone).replace(tzinfo=None)
            found.setdefault(slot.schedule_id, {})[local] = slot
    return found


async def _departments(
    session: AsyncSession, payload: TimetableImport, result: ImportResult
) -> dict[str, Department]:
    codes = {d.code for d in payload.departments} | {d.department for d in payload.doctors}
    known = {
        d.code: d
        for d in await session.scalars(select(Department).where(Department.code.in_(codes)))
    }
    for item in payload.departments:
        department = known.get(item.code)
        if department is None:
            department = Department(code=item.code)
            session.add(department)
            known[item.code] = department
            result.departments_created += 1
        else:
            result.departments_updated += 1
        department.name = item.name
        department.name_en = item.name_en
        department.description = item.description
        department.location = item.location
        department.keywords = ",".join(item.keywords)
        department.position = item.position
    await session.flush()
    return known


async def _doctors(
    session: AsyncSession,
    payload: TimetableImport,
    departments: dict[str, Department],
    result: ImportResult,
) -> dict[str, Doctor]:
    codes = {d.code for d in payload.doctors} | {s.doctor for s in payload.sessions}
    known = {d.code: d for d in await session.scalars(select(Doctor).where(Doctor.code.in_(codes)))}
    problems = [
        Problem(f"doctors[{index}].department", f"there is no department {item.department}")
        for index, item in enumerate(payload.doctors)
        if item.department not in departments
    ]
    listed = {d.code for d in payload.doctors}
    problems += [
        Problem(f"sessions[{index}].doctor", f"there is no doctor {item.doctor}")
        for index, item in enumerate(payload.sessions)
        if item.doctor not in known and item.doctor not in listed
    ]
    if problems:
        raise ImportRefused(problems)
    for item in payload.doctors:
        doctor = known.get(item.code)
        if doctor is None:
            doctor = Doctor(code=item.code)
            session.add(doctor)
            known[item.code] = doctor
            result.doctors_created += 1
        else:
            result.doctors_updated += 1
        doctor.department = departments[item.department]
        doctor.department_id = departments[item.department].id
        doctor.name = item.name
        doctor.title = item.title
        doctor.specialties = item.specialties
        doctor.keywords = ",".join(item.keywords)
        doctor.bio = item.bio
    await session.flush()
    return known


async def _session(
    session: AsyncSession,
    where: str,
    item: SessionIn,
    doctors: dict[str, Doctor],
    schedules: dict[str, Schedule],
    known_slots: dict[UUID, dict[datetime, Slot]],
    zone: ZoneInfo,
    result: ImportResult,
) -> None:
    slots = session_slots(item, where)
    problems = _check_slots(where, item, slots)
    if problems:
        raise ImportRefused(problems)
    doctor = doctors[item.doctor]
    schedule = schedules.get(item.code)
    existing: dict[datetime, Slot] = {}
    if schedule is None:
        # Our own id now, so the slots can point at it without a round trip per session.
        schedule = Schedule(id=uuid7(), code=item.code)
        session.add(schedule)
        schedules[item.code] = schedule
        result.sessions_created += 1
    else:
        result.sessions_updated += 1
        existing = known_slots.get(schedule.id, {})
        moved = schedule.day != item.date or schedule.doctor_id != doctor.id
        if moved and any(slot.booked for slot in existing.values()):
            raise ImportRefused(
                [
                    Problem(
                        f"{where}.date",
                        f"patients have booked session {item.code}, so its date and doctor "
                        "cannot change",
                    )
                ]
            )
    schedule.doctor_id = doctor.id
    schedule.department_id = doctor.department_id
    schedule.day = item.date
    schedule.period = item.period
    schedule.room = item.room
    schedule.fee_cents = fee_cents(item.fee_yuan)
    schedule.status = item.status
    wanted: set[datetime] = set()
    for slot_in in slots:
        local_start = datetime.combine(item.date, _clock(slot_in.start))
        local_end = datetime.combine(item.date, _clock(slot_in.end))
        wanted.add(local_start)
        starts_at = local_start.replace(tzinfo=zone)
        ends_at = local_end.replace(tzinfo=zone)
        slot = existing.get(local_start)
        if slot is None:
            session.add(
                Slot(
                    schedule_id=schedule.id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=slot_in.capacity,
                    booked=0,
                )
            )
            result.slots_created += 1
            continue
        # Never below what is booked: decided in the database, against the current count.
        await session.execute(
            update(Slot)
            .where(Slot.id == slot.id)
            .values(
                ends_at=ends_at,
                capacity=case(
                    (Slot.booked > slot_in.capacity, Slot.booked), else_=slot_in.capacity
                ),
            )
            .execution_options(synchronize_session=False)
        )
        if slot.booked > slot_in.capacity:
            result.warnings.append(
                f"session {item.code}: slot {slot_in.start} keeps {slot.booked} places already booked"
            )
        result.slots_updated += 1
    for local_start, slot in existing.items():
        if local_start in wanted:
            continue
        await _remove_slot(session, item.code, local_start, slot, result)


async def _remove_slot(
    session: AsyncSession, code: str, local_start: datetime, slot: Slot, result: ImportResult
) -> None:
    used: UUID | None = await session.scalar(
        select(Appointment.id).where(Appointment.slot_id == slot.id).limit(1)
    )
    if used is None:
        await session.execute(delete(Slot).where(Slot.id == slot.id))
        result.slots_removed += 1
        return
    await session.execute(
        update(Slot)
        .where(Slot.id == slot.id)
        .values(capacity=Slot.booked)
        .execution_options(synchronize_session=False)
    )
    result.warnings.append(
        f"session {code}: slot {local_start:%H:%M} has bookings, so it was closed instead of removed"
    )
