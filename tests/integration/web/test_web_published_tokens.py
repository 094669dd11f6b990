"""Production does not start while an API client holds one of the demo's published tokens,
however it is started (``serve`` refuses too, before it listens)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.api.seed import DEMO_HIS_TOKEN
from portal.api.services import IMPORT_SCOPES, create_client, retire_client
from portal.db.engine import create_engine
from portal.settings import DatabaseSettings, SettingsError
from tests.support import aio


async def _in_database(url: str, work: Any) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await work(session)
            await session.commit()
    finally:
        await engine.dispose()


def test_production_refuses_to_start_with_a_demo_token(app_client: Any, database_url: str) -> None:
    async def demo(session: AsyncSession) -> None:
        await create_client(session, "Demo HIS", IMPORT_SCOPES, token=DEMO_HIS_TOKEN)

    aio.run(_in_database(database_url, demo))
    with pytest.raises(BaseException) as raised:  # start-up raises it inside a task group
        app_client(environment="production")
    found = [raised.value]
    while isinstance(found[-1], BaseExceptionGroup):
        found.append(found[-1].exceptions[0])
    assert isinstance(found[-1], SettingsError)
    assert "Demo HIS hold the demo's published tokens" in str(found[-1])

    async def retire(session: AsyncSession) -> None:
        await retire_client(session, "Demo HIS")

    aio.run(_in_database(database_url, retire))
    assert app_client(environment="production").get("/healthz").status_code == 200


def test_development_starts_with_the_demo_tokens(app_client: Any, database_url: str) -> None:
    async def demo(session: AsyncSession) -> None:
        await create_client(session, "Demo HIS", IMPORT_SCOPES, token=DEMO_HIS_TOKEN)

    aio.run(_in_database(database_url, demo))
    assert app_client(environment="development").get("/healthz").status_code == 200
