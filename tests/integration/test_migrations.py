"""Migrations build the schema the models describe, on SQLite and PostgreSQL; the seed runs once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, select, text

from portal.accounts.seed import DEMO_PHONE
from portal.app import seed_demo as seed
from portal.core.clock import FrozenClock
from portal.db import migrate
from portal.db.engine import create_engine
from portal.settings import AppSettings, DatabaseSettings, Settings
from tests.support import aio

SHANGHAI_MORNING = datetime.fromisoformat("2026-11-24T09:00:00+08:00")


def schema_of(url: str) -> dict[str, Any]:
    """Tables with their columns, and the migration the database stands at."""

    async def read() -> dict[str, Any]:
        engine = create_engine(DatabaseSettings(url=url))
        async with engine.connect() as conn:

            def tables(sync_conn: Any) -> dict[str, list[str]]:
                inspector = inspect(sync_conn)
                return {
                    table: sorted(c["name"] for c in inspector.get_columns(table))
                    for table in sorted(inspector.get_table_names())
                }

            shape = await conn.run_sync(tables)
            version = None
            if "alembic_version" in shape:
                version = list(
                    (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
                )
        await engine.dispose()
        return {"tables": shape, "version": version}

    return aio.run(read())


def row_counts(url: str) -> dict[str, int]:
    from portal.app import load_models
    from portal.db.base import metadata

    load_models()

    async def read() -> dict[str, int]:
        engine = create_engine(DatabaseSettings(url=url))
        async with engine.connect() as conn:
            counts = {
                table.name: await conn.scalar(select(func.count()).select_from(table))
                for table in metadata.sorted_tables
            }
        await engine.dispose()
        return counts

    return aio.run(read())


def settings_for(url: str) -> Settings:
    return Settings(
        app=AppSettings(environment="test", secret_key="migration-tests-secret-0123456789-abc"),
        db=DatabaseSettings(url=url),
    )


def test_upgrade_builds_exactly_what_the_models_describe(fresh_database: str) -> None:
    migrate.upgrade(fresh_database)
    schema = schema_of(fresh_database)
    assert {"account", "patient", "account_patient", "login_code", "outbox_message"} <= set(
        schema["tables"]
    )
    assert schema["version"] and len(schema["version"]) == 1


def test_models_and_migrations_agree(fresh_database: str) -> None:
    migrate.upgrade(fresh_database)
    migrate.check(fresh_database)  # raises when a model change has no migration


def test_upgrading_twice_changes_nothing(fresh_database: str) -> None:
    migrate.upgrade(fresh_database)
    first = schema_of(fresh_database)
    migrate.upgrade(fresh_database)
    assert schema_of(fresh_database) == first


def test_the_demo_seed_runs_once(fresh_database: str) -> None:
    migrate.upgrade(fresh_database)
    settings = settings_for(fresh_database)
    clock = FrozenClock(settings.i18n.zone, SHANGHAI_MORNING)
    assert aio.run(seed(settings, clock)) is True
    counts = row_counts(fresh_database)
    assert counts["account"] == 2
    assert counts["patient"] >= 4
    assert aio.run(seed(settings, clock)) is False
    assert row_counts(fresh_database) == counts


def test_the_demo_family_has_an_82_year_old(fresh_database: str) -> None:
    from portal.accounts.idnumber import age_on
    from portal.accounts.models import Account, AccountPatient, Patient

    migrate.upgrade(fresh_database)
    settings = settings_for(fresh_database)
    aio.run(seed(settings, FrozenClock(settings.i18n.zone, SHANGHAI_MORNING)))

    async def family() -> list[tuple[str, Any]]:
        engine = create_engine(DatabaseSettings(url=fresh_database))
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Patient.name, Patient.birth_date)
                .join(AccountPatient, AccountPatient.patient_id == Patient.id)
                .join(Account, Account.id == AccountPatient.account_id)
                .where(Account.phone == DEMO_PHONE)
            )
            result = [tuple(r) for r in rows]
        await engine.dispose()
        return result

    members = aio.run(family())
    assert len(members) == 3
    ages = sorted(age_on(born, SHANGHAI_MORNING.date()) for _, born in members)
    assert 82 in ages
    assert all(len(name) >= 2 for name, _ in members)
