"""Queues (one per consulting session) and their tickets."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base

WAITING = "waiting"
CALLED = "called"
DONE = "done"
MISSED = "missed"
TICKET_STATUSES = (WAITING, CALLED, DONE, MISSED)

ON_TIME = 0
LATE = 1
RETURNED = 2  # missed when called, checked in again: the back of the queue
"""Bands, in the order they are served."""


class Queue(Base):
    """Where patients wait to be called: a doctor's session in a room (later: pharmacy, lab)."""

    __tablename__ = "queue"

    kind: Mapped[str] = mapped_column(String(16), default="clinic")
    service_day: Mapped[date] = mapped_column(Date, index=True)
    schedule_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("schedule.id"), unique=True, default=None
    )
    department_id: Mapped[UUID | None] = mapped_column(ForeignKey("department.id"), default=None)
    name: Mapped[str] = mapped_column(String(100))
    doctor_name: Mapped[str] = mapped_column(String(50), default="")
    room: Mapped[str] = mapped_column(String(60), default="")
    prefix: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped by every change, so phones and boards can ask "anything new?" cheaply (ETag)."""


class TicketCounter(Base):
    """The last ticket number given out for a prefix on a day (A001, A002 …)."""

    __tablename__ = "ticket_counter"
    __table_args__ = (UniqueConstraint("day", "prefix"),)

    day: Mapped[date] = mapped_column(Date)
    prefix: Mapped[str] = mapped_column(String(2))
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """One patient's place in one queue."""

    __tablename__ = "ticket"
    __table_args__ = (Index("ix_ticket_queue_status", "queue_id", "status"),)

    queue_id: Mapped[UUID] = mapped_column(ForeignKey("queue.id", ondelete="CASCADE"))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    appointment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("appointment.id"), unique=True, default=None
    )
    number: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    band: Mapped[int] = mapped_column(Integer, default=ON_TIME)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    """1 for patients aged 80 and over: served ahead of others in their band."""
    slot_starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    checked_in_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    called_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    done_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    call_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_waiting(self) -> bool:
        return self.status == WAITING

    @property
    def is_called(self) -> bool:
        """Called to the doctor's room (and not yet seen or missed)."""
        return self.status == CALLED

    @property
    def is_done(self) -> bool:
        """Seen by the doctor."""
        return self.status == DONE

    @property
    def is_missed(self) -> bool:
        """Did not come when called (checking in again puts them at the back)."""
        return self.status == MISSED

    @property
    def is_in_line(self) -> bool:
        """Still to be seen: waiting, or called and on the way."""
        return self.status in (WAITING, CALLED)

    @property
    def is_late(self) -> bool:
        """Checked in after the appointment's time: served after those who came on time."""
        return self.band == LATE

    @property
    def is_returned(self) -> bool:
        """Missed when called and checked in again: at the back of the queue."""
        return self.band == RETURNED


class QueueCover(Base):
    """A doctor asked to run another session's queue (a colleague is away or running late).

    A nurse or an administrator assigns it; it holds for the queue's day only (``day``), so no
    one has to remember to take it back."""

    __tablename__ = "queue_cover"
    __table_args__ = (UniqueConstraint("queue_id", "staff_id"),)

    queue_id: Mapped[UUID] = mapped_column(ForeignKey("queue.id", ondelete="CASCADE"))
    staff_id: Mapped[UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    assigned_by: Mapped[str] = mapped_column(String(100))
