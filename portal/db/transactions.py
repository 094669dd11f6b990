"""Transactions that write under contention without deadlocks or spurious failures."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal.db.engine import IMMEDIATE


async def begin_write(session: AsyncSession) -> None:
    """Start a fresh transaction that is going to write.

    On SQLite the write lock is taken up front (``BEGIN IMMEDIATE``): concurrent writers queue on
    the busy timeout instead of failing when a read transaction tries to upgrade. On PostgreSQL
    this is an ordinary ``BEGIN``; callers lock rows or update conditionally.

    A read transaction already open on the session (a lookup made before the write) is ended
    first; objects it loaded stay usable (the session does not expire on commit). Callers must not
    have unflushed changes pending.
    """
    if session.in_transaction():
        await session.commit()
    await session.connection(execution_options={IMMEDIATE: True})
