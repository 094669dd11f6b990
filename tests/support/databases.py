"""Test databases: a fresh SQLite file per test; a PostgreSQL database per xdist worker, emptied per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from portal.api.services import IMPORT_SCOPES, create_client
from portal.app import load_models
from portal.db.base import metadata
from portal.db.engine import create_engine
from portal.settings import DatabaseSettings
from tests.support import aio

POSTGRES_ENV = "PORTAL_TEST_POSTGRES_URL"
TEST_IMPORT_TOKEN = "test-import-token-0123456789abcdef"
"""The token of "Test HIS", an API client every test database holds (the imports' scopes), as a
hospital's own system is registered before it sends anything."""
REDIS_ENV = "PORTAL_TEST_REDIS_URL"


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def redis_url(database: int | None = None) -> str | None:
    """PORTAL_TEST_REDIS_URL, or the same server's Redis database ``database`` (a test that
    wants counters and sessions of its own)."""
    url = os.environ.get(REDIS_ENV) or None
    if url is None or database is None:
        return url
    server = url.rsplit("/", 1)[0] if url.count("/") > 2 else url.rstrip("/")
    return f"{server}/{database}"


def worker_database_url(base_url: str, worker: str, suffix: str = "") -> str:
    """Create (once) and return a database of this worker's own on the PostgreSQL server."""
    url = make_url(base_url).set(drivername="postgresql+asyncpg")
    name = f"ymt_test_{worker}{suffix}"

    async def ensure() -> None:
        admin = create_engine(DatabaseSettings(url=url.render_as_string(hide_password=False)))
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()

    aio.run(ensure())
    return url.set(database=name).render_as_string(hide_password=False)


async def _register_test_his(conn: AsyncConnection) -> None:
    async with AsyncSession(bind=conn) as session:
        await create_client(session, "Test HIS", IMPORT_SCOPES, token=TEST_IMPORT_TOKEN)


async def create_schema(url: str) -> None:
    """Drop and create every table (PostgreSQL: once per worker; SQLite: once per file), with
    the standing "Test HIS" client."""
    load_models()
    engine = create_engine(DatabaseSettings(url=url))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        await _register_test_his(conn)
    await engine.dispose()


async def empty_tables(url: str) -> None:
    """Remove every row, quickly, between PostgreSQL tests (the "Test HIS" client comes back)."""
    engine = create_engine(DatabaseSettings(url=url))
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await _register_test_his(conn)
    await engine.dispose()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'portal.db'}"


async def _admin(base_url: str, statement: str) -> None:
    """One statement outside any transaction (CREATE DATABASE cannot run inside one)."""
    engine = create_engine(DatabaseSettings(url=base_url, pool_size=1))
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def scratch_postgres(base_url: str, prefix: str = "ymt_scratch") -> Iterator[str]:
    """A new, empty PostgreSQL database with a unique name, dropped afterwards (even when
    a server still holds connections to it)."""
    admin = make_url(base_url).set(drivername="postgresql+asyncpg")
    admin_url = admin.render_as_string(hide_password=False)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    aio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        aio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
