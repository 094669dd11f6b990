"""The line of waiting patients: who is next, one's place in it, and how long a visit takes
(the estimates phones and the public page show)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.clock import aware
from portal.queue import ordering
from portal.queue.models import CALLED, DONE, WAITING, Ticket
from portal.settings import QueueSettings


class WaitingLine:
    """Reads of a queue's line, in the order patients are called (``portal.queue.ordering``)."""

    def __init__(self, session: AsyncSession, settings: QueueSettings) -> None:
        self.session = session
        self.settings = settings

    async def waiting_in(self, queue_id: UUID) -> list[Ticket]:
        """Everyone waiting in the queue, the next to be called first."""
        tickets = await self.session.scalars(
            select(Ticket).where(Ticket.queue_id == queue_id, Ticket.status == WAITING)
        )
        return ordering.in_order(list(tickets.all()))

    async def waiting_count(self, queue_id: UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.queue_id == queue_id, Ticket.status == WAITING)
        )
        return int(count or 0)

    async def ahead_of(self, ticket: Ticket) -> int:
        """How many will be called before this ticket (0 unless it is waiting)."""
        if not ticket.is_waiting:
            return 0
        waiting = await self.waiting_in(ticket.queue_id)
        return next((i for i, t in enumerate(waiting) if t.id == ticket.id), len(waiting))

    async def now_serving(self, queue_id: UUID) -> str | None:
        """The number most recently called and still with the doctor (None: nobody)."""
        return await self.session.scalar(
            select(Ticket.number)
            .where(Ticket.queue_id == queue_id, Ticket.status == CALLED)
            .order_by(Ticket.called_at.desc())
            .limit(1)
        )

    async def per_patient(self, queue_id: UUID) -> timedelta:
        """The typical time with the doctor, learnt from the last visits of this queue."""
        rows = await self.session.execute(
            select(Ticket.called_at, Ticket.done_at)
            .where(
                Ticket.queue_id == queue_id, Ticket.status == DONE, Ticket.called_at.is_not(None)
            )
            .order_by(Ticket.done_at.desc())
            .limit(ordering.RECENT)
        )
        durations = [aware(done) - aware(called) for called, done in rows if called and done]
        return ordering.service_time(
            list(reversed(durations)), timedelta(minutes=self.settings.default_service_minutes)
        )
