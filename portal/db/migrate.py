"""Apply and create Alembic migrations from Python (the CLI and the tests use this)."""

from __future__ import annotations

import re
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import BINARY, NUMERIC, Table
from sqlalchemy.engine import Engine, Inspector

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def make_migration(message: str, database_url: str | None = None) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


def check(database_url: str | None = None) -> None:
    """Raise if the models have changes no migration describes."""
    command.check(alembic_config(database_url))


BINARY_DECLARATION = re.compile(r"BINARY\((\d+)\)", re.IGNORECASE)


def keep_binary_type(inspector: Inspector, table: Table, column: dict[str, Any]) -> None:
    """A ``column_reflect`` listener for SQLite: a column declared ``BINARY(n)`` reflects as such.

    SQLAlchemy does not know SQLite's ``BINARY`` and reflects it by type affinity as
    ``NUMERIC(n)``. A table that a batch migration copies would then declare every id
    (advanced-alchemy's GUID) ``NUMERIC(16)``, unlike the table the models create, and ids read
    through reflection would be taken for numbers."""
    if not isinstance(column["type"], NUMERIC):
        return
    bind = inspector.bind
    with bind.connect() if isinstance(bind, Engine) else nullcontext(bind) as connection:
        rows = connection.exec_driver_sql(f'PRAGMA table_info("{table.name}")')
        declared = {row[1]: row[2] for row in rows}
    match = BINARY_DECLARATION.fullmatch(declared.get(column["name"], ""))
    if match:
        column["type"] = BINARY(int(match.group(1)))
