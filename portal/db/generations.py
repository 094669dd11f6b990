"""What a page may keep between requests, and when it must ask again.

Every committed write to a table moves that table's *generation* on (a number per table, kept
in this process). SQLAlchemy's session events see each write: the rows a flush wrote, and the
``insert``/``update``/``delete`` statements run through a session; after the commit, the tables
they touched are one generation older than before. A rolled-back write moves nothing on.

``ReadCache`` keeps a reading (an account's family, a patient's card) with the generations of
the tables it was read from, taken *before* the read: a write committed while the reading was
being made leaves it already out of date. A reading made in a transaction that began before the
latest such commit is not kept at all (SQLite reads the snapshot a transaction began with).
A reading is used again only while none of its tables has moved on, and for at most ``max_age``
seconds (a write this process cannot see, from a command run beside the server, is seen within
that time).

Only where one process serves the site: several processes cannot see each other's commits, so
``ReadCache.enabled`` is off whenever Redis is configured or the server runs more than one
process, and every reading goes to the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar, cast

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

T = TypeVar("T")

_WRITTEN = "portal_written_tables"
_BEGAN_AFTER = "portal_began_after_commit"
_EVERY_TABLE = "*"


class TableGenerations:
    """A number per table that moves on after each commit that wrote the table."""

    def __init__(self) -> None:
        self._of: dict[str, int] = {}
        self._everything = 0
        self.commits = 0
        """How many commits have moved a generation on: a transaction that began before the
        latest one may be reading a snapshot older than the generations say (SQLite)."""

    def of(self, tables: tuple[str, ...]) -> tuple[int, ...]:
        return (self._everything, *(self._of.get(table, 0) for table in tables))

    def move_on(self, tables: set[str]) -> None:
        self.commits += 1
        if _EVERY_TABLE in tables:
            self._everything += 1
        for table in tables - {_EVERY_TABLE}:
            self._of[table] = self._of.get(table, 0) + 1


GENERATIONS = TableGenerations()
"""This process's generations (sessions are process-wide, so are their events)."""


def _written(session: Session) -> set[str]:
    written: set[str] = session.info.setdefault(_WRITTEN, set())
    return written


def _after_flush(session: Session, _context: Any) -> None:
    written = _written(session)
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(instance, "__table__", None)
        written.add(table.name if table is not None else _EVERY_TABLE)


def _on_execute(state: Any) -> None:
    statement = state.statement
    if isinstance(statement, UpdateBase):
        table = getattr(statement, "table", None)
        _written(state.session).add(getattr(table, "name", None) or _EVERY_TABLE)
    elif isinstance(statement, TextClause) and not statement.text.lstrip().upper().startswith(
        ("SELECT", "PRAGMA", "SHOW", "SAVEPOINT", "RELEASE", "ROLLBACK")
    ):
        _written(state.session).add(_EVERY_TABLE)  # hand-written SQL: assume it wrote anything


def _after_soft_rollback(session: Session, previous: Any) -> None:
    if previous.parent is None:  # the whole transaction (a savepoint's writes stay counted)
        session.info.pop(_WRITTEN, None)


def _after_begin(session: Session, _transaction: Any, _connection: Any) -> None:
    session.info[_BEGAN_AFTER] = GENERATIONS.commits


def _after_commit(session: Session) -> None:
    written = session.info.pop(_WRITTEN, None)
    if written:
        GENERATIONS.move_on(written)


_installed = False


def watch_writes() -> None:
    """Follow every session's writes in this process (once; create_app calls it)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_soft_rollback)
    event.listen(Session, "after_begin", _after_begin)
    _installed = True


class ReadCache:
    """Readings kept while the tables they came from are unchanged (see the module's text)."""

    def __init__(
        self,
        *,
        enabled: bool,
        max_age: float = 30.0,
        size: int = 5_000,
        generations: TableGenerations = GENERATIONS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.max_age = max_age
        self.size = size
        self.generations = generations
        self.monotonic = monotonic
        self._kept: OrderedDict[Hashable, tuple[tuple[int, ...], float, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def get(
        self,
        key: Hashable,
        tables: tuple[str, ...],
        read: Callable[[], Awaitable[T]],
        session: AsyncSession,
        rows: Callable[[T], Iterable[object]] = lambda value: (),
    ) -> T:
        """The reading for ``key``: kept, or made now by ``read()`` in ``session`` from
        ``tables``. A session holding writes not yet committed reads past the cache and keeps
        nothing: what it sees may yet be rolled back. ``rows(value)`` names the ORM objects in
        a reading: they, and every object their loaded relationships reach, leave the session
        before they are kept, so nothing the session does later (a rollback expires what it
        holds) reaches a reading other requests share."""
        if not self.enabled or _holds_writes(session):
            return await read()
        generation = self.generations.of(tables)
        kept = self._kept.get(key)
        now = self.monotonic()
        if kept is not None and kept[0] == generation and now - kept[1] <= self.max_age:
            self._kept.move_to_end(key)
            self.hits += 1
            return cast(T, kept[2])
        self.misses += 1
        value = await read()
        if _holds_writes(session) or not self._reads_the_latest(session):
            return value
        for row in loaded_graph(rows(value)):
            if row in session:
                session.expunge(row)
        self._kept[key] = (generation, now, value)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return value

    def _reads_the_latest(self, session: AsyncSession) -> bool:
        """Whether ``session``'s transaction, if one is open, began after the latest commit that
        moved a generation on: on SQLite a transaction reads the snapshot it began with, which
        may be older than the generations taken just before the read."""
        began = session.sync_session.info.get(_BEGAN_AFTER)
        return not session.in_transaction() or began == self.generations.commits


KEEP_NOTHING = ReadCache(enabled=False)
"""For a service made without the app's kept readings (commands, tasks, tests): every reading
goes to the database. Shared: a cache that is off keeps nothing and counts nothing."""


def loaded_graph(roots: Iterable[object]) -> list[object]:
    """``roots`` and every ORM object reachable from them through relationships already loaded
    (nothing is loaded here): an appointment, its slot, the slot's schedule, its doctor…"""
    seen: dict[int, object] = {}
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen:
            continue
        seen[id(obj)] = obj
        state = cast(InstanceState[Any], inspect(obj))
        for relationship in state.mapper.relationships:
            loaded = state.dict.get(relationship.key)
            if loaded is None:
                continue
            if isinstance(loaded, (list, set, tuple)):
                stack.extend(loaded)
            else:
                stack.append(loaded)
    return list(seen.values())


def _holds_writes(session: AsyncSession) -> bool:
    """Written and not committed (flushed, or pending a flush): what this session sees may yet
    be rolled back, and is not what other sessions see."""
    sync = session.sync_session
    return bool(sync.info.get(_WRITTEN) or sync.new or sync.dirty or sync.deleted)
