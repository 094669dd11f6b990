"""On SQLite a process's writers take turns before the database's write lock, in the order they
came; on PostgreSQL, which locks rows rather than the database, they do not wait for each other."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.db.engine import create_engine
from portal.db.transactions import writers_turn
from portal.settings import DatabaseSettings
from tests.support import aio


def test_writers_take_turns_on_sqlite_only(database_url: str) -> None:
    async def scenario() -> list[str]:
        engine = create_engine(DatabaseSettings(url=database_url, pool_size=5))
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        happened: list[str] = []

        async def writer(name: str) -> None:
            async with sessions() as session, writers_turn(session):
                happened.append(f"{name} in")
                await asyncio.sleep(0.02)
                happened.append(f"{name} out")

        await asyncio.gather(*(writer(name) for name in "abcd"))
        await engine.dispose()
        return happened

    happened = aio.run(scenario())
    if database_url.startswith("sqlite"):
        assert happened == ["a in", "a out", "b in", "b out", "c in", "c out", "d in", "d out"]
    else:
        assert happened[:4] == ["a in", "b in", "c in", "d in"]
