"""Test databases: a fresh SQLite file per test; a PostgreSQL database per xdist worker, emptied per test."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal.db.base import load_models, metadata
from portal.db.engine import create_engine
from portal.settings import DatabaseSettings
from tests.support import aio

POSTGRES_ENV = "PORTAL_TEST_POSTGRES_URL"
REDIS_ENV = "PORTAL_TEST_REDIS_URL"


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def redis_url() -> str | None:
    return os.environ.get(REDIS_ENV) or None


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


async def create_schema(url: str) -> None:
    """Drop and create every table (PostgreSQL: once per worker; SQLite: once per file)."""
    load_models()
    engine = create_engine(DatabaseSettings(url=url))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    await engine.dispose()


async def empty_tables(url: str) -> None:
    """Remove every row, quickly, between PostgreSQL tests."""
    engine = create_engine(DatabaseSettings(url=url))
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'portal.db'}"
