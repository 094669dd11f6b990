"""Alembic environment: runs migrations on the configured async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from advanced_alchemy.types import GUID
from alembic import context
from sqlalchemy.engine import Connection

from portal.db.base import load_models, metadata
from portal.db.engine import create_engine
from portal.settings import DatabaseSettings

load_models()
config = context.config


def _settings() -> DatabaseSettings:
    url = config.attributes.get("database_url")
    return DatabaseSettings(url=url) if url else DatabaseSettings()


def _compare_type(
    _context: Any,
    _inspected_column: Any,
    _metadata_column: Any,
    _inspected_type: Any,
    metadata_type: Any,
) -> bool | None:
    """Compare column types, except advanced-alchemy's GUID, which each database stores its own way
    (BINARY/NUMERIC on SQLite, UUID on PostgreSQL): reading it back never matches the model's type."""
    if isinstance(metadata_type, GUID):
        return False
    return None  # Alembic's own comparison


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=_compare_type,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_settings())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def _run_online() -> None:
    """``asyncio.run``, or the same in a thread of its own when this thread already runs an event
    loop (alembic called from async code, or from a test beside Playwright's synchronous API)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_async())
        return
    failures: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_run_async())
        except BaseException as exc:  # handed back to the caller below
            failures.append(exc)

    thread = threading.Thread(target=target, name="alembic")
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


if context.is_offline_mode():
    context.configure(url=_settings().url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
