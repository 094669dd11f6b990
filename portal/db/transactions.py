"""Transactions that write under contention without deadlocks or spurious failures."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
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


_GATES: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[Any, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
"""A turn per engine and event loop (a lock belongs to the loop it first waited in)."""


@contextlib.asynccontextmanager
async def writers_turn(session: AsyncSession) -> AsyncIterator[bool]:
    """On SQLite, wait for this process's turn to write before asking for the write lock.

    SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps in its
    busy handler (1, 2, 5 … up to 100 ms) and polls again, so in a surge the lock sits free while
    writers sleep. Queued here instead, this process's writers take the lock one after another
    as soon as it is free, in the order they came, and each can look again at what the one
    before it committed before deciding to write at all. Other processes still meet at the
    database's lock. On PostgreSQL writers lock rows, not the database: no turn is needed.
    Yields whether a turn was taken (whether looking again is worth it).
    """
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        yield False
        return
    loop = asyncio.get_running_loop()
    gates = _GATES.setdefault(engine, weakref.WeakKeyDictionary())
    gate = gates.get(loop)
    if gate is None:
        gate = gates[loop] = asyncio.Lock()
    async with gate:
        yield True


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


async def lock_key(session: AsyncSession, key: str) -> None:
    """Serialise writers that decide by counting rows no single row stands for (codes sent to a
    phone this hour): until this transaction ends, other transactions locking the same key wait.

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the key (a collision only
    makes two unrelated keys wait for each other). SQLite: nothing to do, ``begin_write`` already
    holds the database's single write lock. Call it right after ``begin_write``."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(key.encode()).digest()
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": int.from_bytes(digest[:8], "big", signed=True)},
    )


@contextlib.asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[None]:
    """A short write transaction, in this process's writers' turn on SQLite: committed when the
    block ends, rolled back when it raises. Nothing slow (no remote call) belongs inside.

    A read transaction still open is ended before waiting for the turn: a request queued behind
    others holds no connection meanwhile (a pool of them all waiting would starve the writer
    whose turn it is of the connections it needs)."""
    if session.in_transaction():
        await session.commit()
    async with writers_turn(session):
        await begin_write(session)
        try:
            yield
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
