"""Who may run which queue from the doctor's console.

An administrator may run every queue. A doctor runs a queue only when it belongs to one of their
own sessions today (their staff account names their code in the hospital's timetable,
``Staff.doctor_code``), or when a nurse or an administrator has asked them to cover it today
(``QueueCover``, see ``portal.queue.services.cover``; it ends with the day). Anyone else, other
doctors included, is refused with ``NotYourQueue``. Calling a patient shows their name and age
on the console, and marking them done or missed closes their visit: a doctor in the next room
has no business doing either.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.booking.timetable import TimetableService
from portal.core.clock import Clock
from portal.core.errors import NotAllowed
from portal.core.i18n import gettext as _
from portal.queue.models import Queue, QueueCover


class ConsoleUser(Protocol):
    """The staff member at the console, as far as access is concerned."""

    @property
    def id(self) -> str: ...

    @property
    def is_admin(self) -> bool: ...

    @property
    def doctor_code(self) -> str | None: ...


class NotYourQueue(NotAllowed):
    """A doctor tried to run a queue that is neither theirs today nor one they cover."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This queue belongs to another doctor's session. If you are covering for a "
                "colleague today, please ask a nurse to assign the room to you."
            )
        )


class ConsoleAccess:
    """The rooms a person may run today, and the check made before every console action."""

    def __init__(self, session: AsyncSession, *, clock: Clock, timetable: TimetableService) -> None:
        self.session = session
        self.clock = clock
        self.timetable = timetable

    async def rooms_for(self, staff: ConsoleUser) -> list[Queue]:
        """Today's queues this person may run: all of them for an administrator; for a doctor,
        the queues of their own sessions first, then those they cover."""
        today = self.clock.today()
        query = select(Queue).where(Queue.service_day == today).order_by(Queue.prefix, Queue.room)
        if staff.is_admin:
            return list((await self.session.scalars(query)).all())
        own = await self._own_queue_ids(staff)
        wanted = set(own) | set(await self._covered_queue_ids(staff))
        if not wanted:
            return []
        queues = list((await self.session.scalars(query.where(Queue.id.in_(wanted)))).all())
        return sorted(queues, key=lambda q: q.id not in own)

    async def may_run(self, staff: ConsoleUser, queue: Queue) -> bool:
        """Whether this person may see and run ``queue`` from the console now."""
        if staff.is_admin:
            return True
        today = self.clock.today()
        if queue.service_day != today:
            return False
        if (
            staff.doctor_code
            and queue.schedule_id is not None
            and await self.timetable.doctor_code_of(queue.schedule_id) == staff.doctor_code
        ):
            return True
        cover = await self.session.scalar(
            select(QueueCover.id).where(
                QueueCover.queue_id == queue.id,
                QueueCover.staff_id == UUID(staff.id),
                QueueCover.day == today,
            )
        )
        return cover is not None

    async def check_may_run(self, staff: ConsoleUser, queue: Queue) -> None:
        """Raise ``NotYourQueue`` unless this person may run ``queue``."""
        if not await self.may_run(staff, queue):
            raise NotYourQueue()

    async def _own_queue_ids(self, staff: ConsoleUser) -> list[UUID]:
        if not staff.doctor_code:
            return []
        sessions = await self.timetable.sessions_of_doctor(staff.doctor_code, self.clock.today())
        if not sessions:
            return []
        rows = await self.session.scalars(select(Queue.id).where(Queue.schedule_id.in_(sessions)))
        return list(rows)

    async def _covered_queue_ids(self, staff: ConsoleUser) -> list[UUID]:
        rows = await self.session.scalars(
            select(QueueCover.queue_id).where(
                QueueCover.staff_id == UUID(staff.id), QueueCover.day == self.clock.today()
            )
        )
        return list(rows)
