"""Alembic environment: runs migrations on the configured async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from advanced_alchemy.types import GUID
from alembic import context
from sqlalchemy import Table, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from portal.app import load_models
from portal.db.base import metadata
from portal.db.engine import create_engine
from portal.db.migrate import keep_binary_type
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
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,
        # SQLite can roll DDL back too: one transaction for the whole upgrade, so a migration
        # that fails (or the foreign key check below) leaves the database where it was.
        transactional_ddl=True,
        compare_type=_compare_type,
    )
    if sqlite:
        event.listen(Table, "column_reflect", keep_binary_type)
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
    finally:
        if sqlite:
            event.remove(Table, "column_reflect", keep_binary_type)


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit migrations that left a row pointing at nothing (SQLite checks no
    foreign keys while migrating, see ``_without_foreign_keys``)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migrations left rows that point at missing rows: {broken[:10]}")


def _without_foreign_keys(engine: AsyncEngine) -> None:
    """SQLite: no foreign key actions while migrating.

    A batch migration copies a table, drops the original and renames the copy. With foreign keys
    on, dropping ``patient`` first deletes its rows, and every ``ON DELETE CASCADE`` then deletes
    the family links and cards that point at them: the upgrade would quietly lose data. The
    pragma only takes effect outside a transaction, so it is set as each connection opens
    (after the engine's own ``foreign_keys=ON``)."""

    @event.listens_for(engine.sync_engine, "connect")
    def foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()


async def _run_async() -> None:
    engine = create_engine(_settings())
    if engine.dialect.name == "sqlite":
        _without_foreign_keys(engine)
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
