"""The hospital's timetable and what patients do with it.

Department → Doctor → Schedule (a doctor's session: a date, morning or afternoon, a room, a fee)
→ Slot (分时段: a time window with a capacity and a count of places taken). An Appointment books
one slot for one patient. A WaitlistEntry (候补) waits for a full session; a ReturnedPlace is a
place given back by a cancellation, on its way to a waiting patient or back to the public pool.

``Slot.booked`` counts every place that is not free: live appointments, places offered to the
waitlist and returned places still waiting for their random re-release. A check constraint keeps
it between 0 and the capacity, so even a bug elsewhere cannot oversell a slot.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db.base import Base

if TYPE_CHECKING:
    # Accounts owns patients; booking only reads them through these relationships.
    from portal.accounts.models import Patient

# Appointment statuses.
BOOKED = "booked"
CANCELLED = "cancelled"
CHECKED_IN = "checked_in"
NO_SHOW = "no_show"
COMPLETED = "completed"
APPOINTMENT_STATUSES = (BOOKED, CANCELLED, CHECKED_IN, NO_SHOW, COMPLETED)
# Statuses that hold the patient's one place per department per day.
HOLDS_THE_DAY = (BOOKED, CHECKED_IN, COMPLETED)

# Session (schedule) statuses.
OPEN = "open"
STOPPED = "stopped"  # 停诊: the doctor is not seeing patients in this session

PERIODS = ("morning", "afternoon", "evening")

# Waitlist entry statuses.
WAITING = "waiting"
OFFERED = "offered"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"
LEFT = "left"
CLOSED = "closed"  # the session passed, or the patient booked that department that day

# Returned place statuses.
HELD = "held"  # waiting for its random re-release moment
PLACE_OFFERED = "offered"
RELEASED = "released"  # back in the public pool
TAKEN = "taken"  # accepted by a waiting patient
LAPSED = "lapsed"  # the slot began before anyone took it


def _status_in(*statuses: str) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


class Department(Base):
    """A clinic department (科室) and where to find it."""

    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Doctor(Base):
    """A doctor who sees outpatients, with what they treat (for finding by illness)."""

    __tablename__ = "doctor"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[UUID] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(24))
    specialties: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(Text, default="")
    bio: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship(lazy="joined")

    @property
    def initial(self) -> str:
        """What the round avatar shows: the family name (the first character)."""
        return (self.name or "?")[0]


class Schedule(Base):
    """A doctor's session (出诊): one morning or afternoon, in one room, at one fee."""

    __tablename__ = "schedule"
    __table_args__ = (Index("ix_schedule_department_day", "department_id", "day"),)

    code: Mapped[str] = mapped_column(String(64), unique=True)
    doctor_id: Mapped[UUID] = mapped_column(ForeignKey("doctor.id"), index=True)
    department_id: Mapped[UUID] = mapped_column(ForeignKey("department.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    period: Mapped[str] = mapped_column(String(12))
    room: Mapped[str] = mapped_column(String(60), default="")
    fee_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=OPEN)

    doctor: Mapped[Doctor] = relationship(lazy="joined")

    @property
    def department(self) -> Department:
        return self.doctor.department

    @property
    def sees_patients(self) -> bool:
        """The doctor works this session (it is not stopped, 停诊)."""
        return self.status == OPEN


class Slot(Base):
    """A time window of a session (分时段) with a number of places."""

    __tablename__ = "slot"
    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= capacity", name="places"),
        Index("ix_slot_schedule_starts", "schedule_id", "starts_at"),
    )

    schedule_id: Mapped[UUID] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    schedule: Mapped[Schedule] = relationship(lazy="joined")

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class Appointment(Base):
    """One slot booked for one patient (挂号)."""

    __tablename__ = "appointment"
    __table_args__ = (
        # One appointment per patient per department per day, even under concurrent requests.
        Index(
            "uq_appointment_patient_department_day",
            "patient_id",
            "department_id",
            "visit_day",
            unique=True,
            sqlite_where=text(_status_in(*HOLDS_THE_DAY)),
            postgresql_where=text(_status_in(*HOLDS_THE_DAY)),
        ),
        Index("ix_appointment_status_slot", "status", "slot_id"),
    )

    slot_id: Mapped[UUID] = mapped_column(ForeignKey("slot.id"), index=True)
    schedule_id: Mapped[UUID] = mapped_column(ForeignKey("schedule.id"), index=True)
    department_id: Mapped[UUID] = mapped_column(ForeignKey("department.id"))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    account_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    visit_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=BOOKED)
    fee_cents: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="online")  # or "waitlist"
    booked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    slot: Mapped[Slot] = relationship(lazy="joined")
    patient: Mapped[Patient] = relationship("Patient", lazy="joined")

    @property
    def is_booked(self) -> bool:
        """Booked and waiting for the visit (not yet checked in)."""
        return self.status == BOOKED

    @property
    def is_live(self) -> bool:
        """The visit is still to happen: booked, or checked in and waiting for the doctor."""
        return self.status in (BOOKED, CHECKED_IN)

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def is_completed(self) -> bool:
        """Seen by the doctor: the visit is over."""
        return self.status == COMPLETED

    @property
    def schedule(self) -> Schedule:
        return self.slot.schedule

    @property
    def doctor(self) -> Doctor:
        return self.slot.schedule.doctor

    @property
    def department(self) -> Department:
        return self.slot.schedule.doctor.department


class ReturnedPlace(Base):
    """A place given back (退号) or passed on by the waitlist, until someone has it again."""

    __tablename__ = "returned_place"
    __table_args__ = (Index("ix_returned_place_status_release", "status", "release_at"),)

    slot_id: Mapped[UUID] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[UUID] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default=HELD)
    release_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    slot: Mapped[Slot] = relationship(lazy="joined")


class WaitlistEntry(Base):
    """A patient waiting (候补) for a place in a full session."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        # A patient waits once per session...
        Index(
            "uq_waitlist_entry_patient_schedule",
            "patient_id",
            "schedule_id",
            unique=True,
            sqlite_where=text(_status_in(WAITING, OFFERED)),
            postgresql_where=text(_status_in(WAITING, OFFERED)),
        ),
        # ...and a returned place is offered to one patient at a time.
        Index(
            "uq_waitlist_entry_offered_place",
            "place_id",
            unique=True,
            sqlite_where=text(_status_in(OFFERED)),
            postgresql_where=text(_status_in(OFFERED)),
        ),
        Index("ix_waitlist_entry_schedule_status", "schedule_id", "status", "joined_at"),
    )

    schedule_id: Mapped[UUID] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    account_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    joined_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    place_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("returned_place.id", ondelete="SET NULL"), default=None
    )
    offered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    hold_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    appointment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), default=None
    )

    schedule: Mapped[Schedule] = relationship(lazy="joined")
    patient: Mapped[Patient] = relationship("Patient", lazy="joined")
    place: Mapped[ReturnedPlace | None] = relationship(lazy="joined")

    @property
    def is_offered(self) -> bool:
        """A place is being kept for this patient, to accept or decline."""
        return self.status == OFFERED

    @property
    def is_waiting(self) -> bool:
        return self.status == WAITING
