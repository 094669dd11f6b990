"""Finding a doctor and a time: departments, doctors, search by illness, the days and sessions
with places left, and the nearest free times when a chosen one is full. Read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import patient_ids_of
from portal.booking import rules
from portal.booking.fullness import FullSlot, FullSlotReadings
from portal.booking.models import (
    CHECKED_IN,
    COMPLETED,
    OPEN,
    Appointment,
    Department,
    Doctor,
    Schedule,
    Slot,
)
from portal.core.clock import Clock
from portal.core.errors import NotFound
from portal.db.generations import KEEP_NOTHING, ReadCache
from portal.settings import BookingSettings

if TYPE_CHECKING:
    from portal.accounts.models import Patient

# What a day button says.
DAY_FREE = "free"
DAY_FULL = "full"
DAY_NONE = "none"  # no clinic that day
DAY_NOT_OPEN = "not_open"  # places not released yet


@dataclass(frozen=True)
class DayChoice:
    """One date button: the day, whether it has places, and when it opens if not yet."""

    day: date
    state: str
    free: int = 0
    opens_at: datetime | None = None

    @property
    def has_places(self) -> bool:
        return self.state == DAY_FREE

    @property
    def is_full(self) -> bool:
        return self.state == DAY_FULL

    @property
    def has_no_clinic(self) -> bool:
        return self.state == DAY_NONE

    @property
    def not_open_yet(self) -> bool:
        """Its places are not on sale yet (``opens_at`` says when)."""
        return self.state == DAY_NOT_OPEN


@dataclass
class SessionChoice:
    """A doctor's session as the lists show it: places left and the earliest free time."""

    schedule: Schedule
    slots: list[Slot] = field(default_factory=list)

    @property
    def free(self) -> int:
        return sum(slot.free for slot in self.slots)

    @property
    def earliest_free(self) -> Slot | None:
        return next((slot for slot in self.slots if slot.free > 0), None)

    @property
    def starts_at(self) -> datetime | None:
        return self.slots[0].starts_at if self.slots else None

    @property
    def ends_at(self) -> datetime | None:
        return self.slots[-1].ends_at if self.slots else None


@dataclass(frozen=True)
class SeenDoctor:
    """A doctor someone in the family saw before, and when."""

    doctor: Doctor
    last_visit: date
    patient: Patient


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


SESSION_TABLES = (
    Schedule.__tablename__,
    Slot.__tablename__,
    Doctor.__tablename__,
    Department.__tablename__,
)
"""What a session with its time slots is read from."""


class TimetableService:
    """The hospital's timetable as patients look through it."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: BookingSettings,
        clock: Clock,
        full_slots: FullSlotReadings | None = None,
        cache: ReadCache | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.full_slots = full_slots
        self.cache = cache or KEEP_NOTHING

    # -- departments and doctors ---------------------------------------------------------------

    async def departments(self) -> list[Department]:
        return list(
            await self.session.scalars(
                select(Department).order_by(Department.position, Department.name)
            )
        )

    async def department(self, department_id: UUID) -> Department:
        department = await self.find_department(department_id)
        if department is None:
            raise NotFound()
        return department

    async def find_department(self, department_id: UUID) -> Department | None:
        """A department, or None (for a screen that shows where to go when it knows)."""
        return await self.session.get(Department, department_id)

    async def doctor(self, doctor_id: UUID) -> Doctor:
        doctor = await self.session.get(Doctor, doctor_id)
        if doctor is None:
            raise NotFound()
        return doctor

    async def doctors_of(self, department_id: UUID) -> list[Doctor]:
        return list(
            await self.session.scalars(
                select(Doctor).where(Doctor.department_id == department_id).order_by(Doctor.code)
            )
        )

    async def search(self, text: str) -> tuple[list[Department], list[Doctor]]:
        """Departments and doctors matching a name, an illness or a symptom (高血压, 白内障)."""
        words = text.strip()[:40]
        if not words:
            return [], []
        pattern = _like(words)
        departments = list(
            await self.session.scalars(
                select(Department)
                .where(
                    or_(
                        Department.name.ilike(pattern, escape="\\"),
                        Department.name_en.ilike(pattern, escape="\\"),
                        Department.keywords.ilike(pattern, escape="\\"),
                    )
                )
                .order_by(Department.position, Department.name)
            )
        )
        department_ids = [d.id for d in departments]
        direct = or_(
            Doctor.name.ilike(pattern, escape="\\"),
            Doctor.specialties.ilike(pattern, escape="\\"),
            Doctor.keywords.ilike(pattern, escape="\\"),
        )
        doctors = list(
            await self.session.scalars(
                select(Doctor)
                .where(or_(direct, Doctor.department_id.in_(department_ids)))
                .order_by(Doctor.code)
                .limit(40)
            )
        )
        # Doctors who treat the very thing asked for come before the rest of their department.
        lowered = words.lower()
        doctors.sort(key=lambda d: lowered not in f"{d.name} {d.specialties} {d.keywords}".lower())
        return departments, doctors

    async def doctors_seen(self, account_id: UUID, limit: int = 6) -> list[SeenDoctor]:
        """Doctors the family has seen before (from past visits), most recent first."""
        rows = await self.session.execute(
            select(Appointment)
            .join(Slot, Slot.id == Appointment.slot_id)
            .where(
                Appointment.patient_id.in_(await patient_ids_of(self.session, account_id)),
                Appointment.status.in_((COMPLETED, CHECKED_IN)),
            )
            .order_by(Slot.starts_at.desc())
            .limit(60)
        )
        seen: dict[UUID, SeenDoctor] = {}
        for appointment in rows.scalars():
            doctor = appointment.doctor
            if doctor.id not in seen:
                seen[doctor.id] = SeenDoctor(doctor, appointment.visit_day, appointment.patient)
        return list(seen.values())[:limit]

    # -- days and sessions ---------------------------------------------------------------------

    def last_open_day(self) -> date:
        return rules.last_open_day(self.clock.now(), self.settings, self.clock.zone)

    def bookable_days(self) -> list[date]:
        """The date buttons: today, every day whose places are open, and the next day to open."""
        today = self.clock.today()
        last = max(self.last_open_day(), today) + timedelta(days=1)
        return [today + timedelta(days=n) for n in range((last - today).days + 1)]

    def _filtered(
        self, statement: Select, department_id: UUID | None, doctor_id: UUID | None
    ) -> Select:
        if department_id is not None:
            statement = statement.where(Schedule.department_id == department_id)
        if doctor_id is not None:
            statement = statement.where(Schedule.doctor_id == doctor_id)
        return statement

    async def days(
        self, *, department_id: UUID | None = None, doctor_id: UUID | None = None
    ) -> list[DayChoice]:
        """One choice per date button, with places left in each."""
        now = self.clock.now()
        days = self.bookable_days()
        last_open = self.last_open_day()
        statement = self._filtered(
            select(Schedule.day, func.count(Slot.id), func.sum(Slot.capacity - Slot.booked))
            .join(Slot, Slot.schedule_id == Schedule.id)
            .where(
                Schedule.day >= days[0],
                Schedule.day <= days[-1],
                Schedule.status == OPEN,
                Slot.starts_at > now,
            )
            .group_by(Schedule.day),
            department_id,
            doctor_id,
        )
        free_by_day = {
            day: int(free or 0) for day, _count, free in await self.session.execute(statement)
        }
        choices = []
        for day in days:
            if day > last_open:
                opens = rules.release_moment(day, self.settings, self.clock.zone)
                choices.append(DayChoice(day, DAY_NOT_OPEN, opens_at=opens))
            elif day not in free_by_day:
                choices.append(DayChoice(day, DAY_NONE))
            elif free_by_day[day] > 0:
                choices.append(DayChoice(day, DAY_FREE, free=free_by_day[day]))
            else:
                choices.append(DayChoice(day, DAY_FULL))
        return choices

    @staticmethod
    def default_day(choices: list[DayChoice]) -> date:
        """The first day with places left, else the first open day with sessions, else today."""
        for wanted in (DAY_FREE, DAY_FULL):
            for choice in choices:
                if choice.state == wanted:
                    return choice.day
        return choices[0].day

    async def sessions_on(
        self, day: date, *, department_id: UUID | None = None, doctor_id: UUID | None = None
    ) -> list[SessionChoice]:
        """The sessions of one day (open days only), with their future time slots."""
        if day > self.last_open_day() or day < self.clock.today():
            return []
        now = self.clock.now()
        statement = self._filtered(
            select(Slot)
            .join(Schedule, Schedule.id == Slot.schedule_id)
            .where(Schedule.day == day, Schedule.status == OPEN, Slot.starts_at > now)
            .order_by(Slot.starts_at),
            department_id,
            doctor_id,
        )
        sessions: dict[UUID, SessionChoice] = {}
        for slot in await self.session.scalars(statement):
            sessions.setdefault(slot.schedule_id, SessionChoice(slot.schedule)).slots.append(slot)
        period_order = {"morning": 0, "afternoon": 1, "evening": 2}
        return sorted(
            sessions.values(),
            key=lambda s: (period_order.get(s.schedule.period, 9), s.schedule.doctor.code),
        )

    async def session_of(self, schedule_id: UUID) -> SessionChoice:
        """One session with its future time slots (``NotFound`` when unknown)."""
        schedule = await self.session.get(Schedule, schedule_id)
        if schedule is None:
            raise NotFound()
        slots = await self.session.scalars(
            select(Slot)
            .where(Slot.schedule_id == schedule.id, Slot.starts_at > self.clock.now())
            .order_by(Slot.starts_at)
        )
        return SessionChoice(schedule, list(slots))

    async def session_on_page(self, schedule_id: UUID) -> SessionChoice:
        """``session_of`` for a page that only shows it: the session and all its slots are kept
        between requests while their tables are unchanged (a booking anywhere moves the slots'
        generation on); which times are still to come is worked out on every view."""

        async def read() -> tuple[Schedule, list[Slot]]:
            schedule = await self.session.get(Schedule, schedule_id)
            if schedule is None:  # raised, not kept: anyone can ask for made-up ids
                raise NotFound()
            slots = await self.session.scalars(
                select(Slot).where(Slot.schedule_id == schedule.id).order_by(Slot.starts_at)
            )
            return schedule, list(slots)

        schedule, slots = await self.cache.get(
            ("session", schedule_id),
            SESSION_TABLES,
            read,
            self.session,
            rows=lambda kept: [kept[0], *kept[1]],
        )
        now = self.clock.now()
        return SessionChoice(
            schedule, [slot for slot in slots if rules.aware(slot.starts_at) > now]
        )

    async def sessions_of_doctor(self, doctor_code: str, day: date) -> list[UUID]:
        """The ids of the sessions the doctor with this timetable code works on ``day`` (the
        rooms their console runs)."""
        rows = await self.session.scalars(
            select(Schedule.id)
            .join(Doctor, Doctor.id == Schedule.doctor_id)
            .where(Doctor.code == doctor_code, Schedule.day == day)
        )
        return list(rows)

    async def doctor_code_of(self, schedule_id: UUID) -> str | None:
        """The timetable code of the doctor whose session this is (None: no such session)."""
        return await self.session.scalar(
            select(Doctor.code)
            .join(Schedule, Schedule.doctor_id == Doctor.id)
            .where(Schedule.id == schedule_id)
        )

    async def free_in_session(self, schedule_id: UUID) -> int:
        """Places still free in a session's times to come."""
        free = await self.session.scalar(
            select(func.sum(Slot.capacity - Slot.booked)).where(
                Slot.schedule_id == schedule_id, Slot.starts_at > self.clock.now()
            )
        )
        return int(free or 0)

    def release_moment(self, day: date) -> datetime:
        """When places for a day open (in the hospital's time zone)."""
        return rules.release_moment(day, self.settings, self.clock.zone)

    def is_open(self, schedule: Schedule) -> bool:
        """The session's places are on sale now."""
        return schedule.sees_patients and (
            self.clock.today() <= schedule.day <= self.last_open_day()
        )

    async def slot(self, slot_id: UUID, *, fresh: bool = False) -> Slot:
        slot = await self.session.get(Slot, slot_id, populate_existing=fresh)
        if slot is None:
            raise NotFound()
        return slot

    async def full_slot(self, slot_id: UUID) -> FullSlot:
        """What the "now full" page says of a slot: the slot, the nearest free times and whether
        its whole session is full. Shared by this process's requests for up to a second
        (``portal.booking.fullness``), read in a session of its own so that no request's
        rollback can expire what the others show."""
        if self.full_slots is None:
            return await self._read_full_slot(slot_id)
        if self.session.in_transaction():
            # Hand back this request's connection before waiting: a crowd each holding one
            # while waiting for a reading that needs another would empty the pool.
            await self.session.commit()

        async def read_apart() -> FullSlot:
            async with AsyncSession(self.session.bind, expire_on_commit=False) as session:
                timetable = TimetableService(session, settings=self.settings, clock=self.clock)
                return await timetable._read_full_slot(slot_id)

        return await self.full_slots.of(slot_id, self.clock.now().timestamp(), read_apart)

    async def _read_full_slot(self, slot_id: UUID) -> FullSlot:
        slot = await self.slot(slot_id, fresh=True)
        nearest = await self.nearest_free(slot)
        session_full = (
            self.is_open(slot.schedule) and await self.free_in_session(slot.schedule_id) == 0
        )
        return FullSlot(slot=slot, nearest=tuple(nearest), session_full=session_full)

    async def nearest_free(self, slot: Slot, limit: int = 5) -> list[Slot]:
        """Free times closest to a full one: the same doctor first, then the same department."""
        now = self.clock.now()
        schedule = slot.schedule
        base = (
            select(Slot)
            .join(Schedule, Schedule.id == Slot.schedule_id)
            .where(
                Schedule.department_id == schedule.department_id,
                Schedule.status == OPEN,
                Schedule.day >= self.clock.today(),
                Schedule.day <= self.last_open_day(),
                Slot.starts_at > now,
                Slot.booked < Slot.capacity,
            )
        )
        wanted = rules.aware(slot.starts_at)
        later = await self.session.scalars(
            base.where(Slot.starts_at >= wanted).order_by(Slot.starts_at).limit(limit * 3)
        )
        earlier = await self.session.scalars(
            base.where(Slot.starts_at < wanted).order_by(Slot.starts_at.desc()).limit(limit * 3)
        )
        candidates = [*later, *earlier]
        candidates.sort(
            key=lambda s: (
                s.schedule.doctor_id != schedule.doctor_id,
                abs((rules.aware(s.starts_at) - wanted).total_seconds()),
            )
        )
        return candidates[:limit]
