"""Queue numbers: a letter per department and a count per letter and day (A001, A002 …)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db.transactions import insert_if_absent
from portal.queue.models import Queue, TicketCounter

PREFIXES = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read like 1 and 0 on a board


def prefix_for(department_position: int) -> str:
    """The letter of a department's numbers, from its place in the hospital's list."""
    return PREFIXES[department_position % len(PREFIXES)]


async def next_number(session: AsyncSession, queue: Queue) -> str:
    """The next number for the queue's letter today, counted in one atomic update (two desks
    checking in at once get two numbers). Inside the caller's write transaction."""
    await insert_if_absent(
        session, TicketCounter, day=queue.service_day, prefix=queue.prefix, last=0
    )
    last = await session.scalar(
        update(TicketCounter)
        .where(TicketCounter.day == queue.service_day, TicketCounter.prefix == queue.prefix)
        .values(last=TicketCounter.last + 1)
        .returning(TicketCounter.last)
    )
    return f"{queue.prefix}{last:03d}"
