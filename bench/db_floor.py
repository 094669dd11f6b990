"""What one database question costs before any of our code runs: SQLAlchemy's async session on
the drivers we deploy (aiosqlite: each call goes to a thread and back; asyncpg), under uvloop as
`serve` runs. The floor under every logged-in page's cost: a page's budget of queries times this.

Rows: ``SELECT 1`` as text, an ORM select of one account by primary key, ``session.get``, each
asked 500 times in one session, and once per new session (check-out, BEGIN, ROLLBACK, check-in).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvloop
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harness.crowd import fresh_postgres
from harness.server import prepare_database
from portal.accounts.models import Account
from portal.db.engine import create_engine
from portal.settings import DatabaseSettings

REPEATS = 500


async def _measure(url: str, name: str) -> list[dict[str, Any]]:
    engine = create_engine(DatabaseSettings(url=url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        account = (await session.execute(select(Account).limit(1))).scalar_one()
    questions: list[tuple[str, Callable[[AsyncSession], Awaitable[Any]]]] = [
        ("SELECT 1 (text)", lambda s: s.execute(text("SELECT 1"))),
        (
            "ORM select of one account by id",
            lambda s: s.execute(select(Account).where(Account.id == account.id)),
        ),
        ("session.get (fresh)", lambda s: s.get(Account, account.id, populate_existing=True)),
    ]
    rows = []
    for label, ask in questions:
        for _ in range(20):  # warm the statement caches
            async with sessions() as session:
                await ask(session)
        started = time.perf_counter()
        async with sessions() as session:
            for _ in range(REPEATS):
                await ask(session)
        same = (time.perf_counter() - started) / REPEATS * 1000
        started = time.perf_counter()
        for _ in range(REPEATS):
            async with sessions() as session:
                await ask(session)
        fresh = (time.perf_counter() - started) / REPEATS * 1000
        rows.append({"database": name, "question": label, "same_ms": same, "fresh_ms": fresh})
    await engine.dispose()
    return rows


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'floor.db'}"
        prepare_database(url)
        rows += uvloop.run(_measure(url, "SQLite (aiosqlite)"))
    base = os.environ.get("PORTAL_BENCH_POSTGRES_URL") or os.environ.get("PORTAL_TEST_POSTGRES_URL")
    if base:
        url = asyncio.run(fresh_postgres(base, "ymt_bench_floor"))
        prepare_database(url)
        rows += uvloop.run(_measure(url, "PostgreSQL (asyncpg)"))
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"Each question {REPEATS} times, one at a time, under uvloop.",
        "",
        "| database | question | in one session | with a new session each |",
        "|---|---|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['database']} | {row['question']} | {row['same_ms']:.3f} ms | "
            f"{row['fresh_ms']:.3f} ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
