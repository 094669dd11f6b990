"""Transactions that write under contention without deadlocks or spurious failures."""

from __future__ import annotations

from typing import Any

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


async def insert_if_absent(session: AsyncSession, model: type[Any], **values: Any) -> None:
    """Insert a row unless a row with the same unique key exists (a concurrent request may have
    inserted it a moment ago): ``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    row = dict(values)
    for (
        column
    ) in table.columns:  # Python-side defaults (ids, timestamps, counters), as the ORM would
        default = column.default
        if column.name in row or default is None:
            continue
        if default.is_scalar and default.arg is not None:
            row[column.name] = default.arg
        elif default.is_callable:
            row[column.name] = default.arg(None)
    await session.execute(insert(table).values(**row).on_conflict_do_nothing())
