"""Every migration upgrades a database that already holds data, on SQLite and PostgreSQL.

For each revision in the chain (read from Alembic's script directory, so a new migration is
covered the day it is added) a fresh database is brought to the revision before it and filled
with rows through reflection (tests/support/old_rows.py), then upgraded to the head. Every row
must still be there with the values it had, the models must read every row of every table, and
the realistic rows must mean what they meant.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic.script import Script, ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.app import load_models
from portal.db import migrate
from portal.db.base import metadata
from portal.db.engine import create_engine
from portal.settings import DatabaseSettings
from tests.support import aio, old_rows

SCRIPTS = ScriptDirectory.from_config(migrate.alembic_config())
CHAIN = list(reversed(list(SCRIPTS.walk_revisions())))  # the first migration first
UPGRADES = [script for script in CHAIN if script.down_revision is not None]
VERSION = "SELECT version_num FROM alembic_version"
ROOT = Path(__file__).resolve().parents[2]
Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def parents(script: Script) -> tuple[str, ...]:
    down = script.down_revision
    return (down,) if isinstance(down, str) else tuple(down or ())


async def _on(url: str, work: Any) -> Any:
    """Run ``work(sync_connection)`` in one committed transaction."""
    engine = create_engine(DatabaseSettings(url=url, pool_size=1))
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def fill(url: str) -> Snapshot:
    """Rows in every table the database has now; returns every row as read back."""

    def work(connection: Any) -> Snapshot:
        old_rows.RowWriter(connection).fill()
        return old_rows.snapshot(connection)

    return aio.run(_on(url, work))  # type: ignore[no-any-return]


def at_the_revision_before(url: str, script: Script) -> Snapshot:
    """Stand the database at the revision(s) before ``script`` and fill it."""
    for parent in parents(script):
        migrate.upgrade(url, parent)
    return fill(url)


def assert_rows_kept(before: Snapshot, after: Snapshot) -> None:
    for table, rows in before.items():
        assert table in after, f"the upgrade dropped the table {table}"
        assert after[table].keys() == rows.keys(), f"the upgrade lost or added rows in {table}"
        for key, old in rows.items():
            new = after[table][key]
            changed = {c: (old[c], new[c]) for c in old.keys() & new.keys() if old[c] != new[c]}
            assert not changed, f"{table} {key}: values changed: {changed}"


async def _read_with_models(url: str) -> dict[str, int]:
    """Load every row of every table through its model, touching every column; rows per table."""
    load_models()
    engine = create_engine(DatabaseSettings(url=url, pool_size=1))
    counts: dict[str, int] = {}
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            for mapper in metadata_mappers():
                objects = (await session.scalars(select(mapper.class_))).unique().all()
                for obj in objects:
                    for attribute in mapper.column_attrs:
                        getattr(obj, attribute.key)
                counts[mapper.local_table.name] = len(objects)
    finally:
        await engine.dispose()
    return counts


def metadata_mappers() -> list[Any]:
    from portal.db.base import Base

    names = set(metadata.tables)
    return [m for m in Base.registry.mappers if m.local_table.name in names]


async def _check_meaning(url: str, tables: set[str]) -> None:
    """The realistic rows read through the models as the app will use them."""
    from portal.accounts.models import AccountPatient, LoginCode, Patient
    from portal.booking.models import Appointment
    from portal.cards.models import ECard
    from portal.payments.models import Bill
    from portal.queue.models import Queue, Ticket

    engine = create_engine(DatabaseSettings(url=url, pool_size=1))
    try:
        session: AsyncSession
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            mother = await session.get_one(Patient, old_rows.MOTHER)
            assert (mother.name, mother.birth_date.year, mother.registered_by) == (
                "王秀英",
                1944,
                None,
            )
            family = await session.scalars(
                select(AccountPatient).where(AccountPatient.account_id == old_rows.ACCOUNT)
            )
            assert sorted(link.patient.name for link in family) == ["李静", "王秀英"]
            code = await session.get_one(LoginCode, old_rows.LOGIN_CODE)
            assert (code.phone, code.purpose, code.used) == (old_rows.PHONE, "login", False)
            assert code.expires_at.tzinfo is not None
            card = await session.get_one(ECard, old_rows.CARD)
            assert (card.card_number, card.active, card.patient_id) == (
                old_rows.CARD_NUMBER,
                True,
                old_rows.MOTHER,
            )
            if "appointment" in tables:
                appointment = await session.get_one(Appointment, old_rows.APPOINTMENT)
                assert appointment.patient.name == "王秀英"
                assert appointment.doctor.name == "张伟"
                assert appointment.department.name == "心血管内科"
                assert appointment.slot.capacity - appointment.slot.booked == 4
                bill = await session.scalar(
                    select(Bill).where(Bill.appointment_id == old_rows.APPOINTMENT)
                )
                assert bill is not None and bill.total_cents == old_rows.FEE_CENTS
                assert [item.name for item in bill.items] == ["挂号费 心血管内科 张伟"]
            if "ticket" in tables:
                ticket = await session.get_one(Ticket, old_rows.TICKET)
                queue = await session.get_one(Queue, ticket.queue_id)
                assert (ticket.number, ticket.status, queue.doctor_name) == (
                    "A001",
                    "waiting",
                    "张伟",
                )
    finally:
        await engine.dispose()


@pytest.mark.parametrize("script", UPGRADES, ids=[s.revision for s in UPGRADES])
def test_upgrading_to_head_keeps_every_row(fresh_database: str, script: Script) -> None:
    before = at_the_revision_before(fresh_database, script)
    migrate.upgrade(fresh_database, "head")
    assert {"account", "patient", "login_code", "ecard"} <= before.keys()
    after = aio.run(_on(fresh_database, old_rows.snapshot))
    assert_rows_kept(before, after)
    counts = aio.run(_read_with_models(fresh_database))
    assert counts == {table: len(after[table]) for table in counts}
    aio.run(_check_meaning(fresh_database, set(before)))


def test_python_m_portal_migrate_upgrades_an_existing_database(fresh_database: str) -> None:
    """What `make run` does to a development database made before the newest migration."""
    before = at_the_revision_before(fresh_database, UPGRADES[-1])
    subprocess.run(
        [sys.executable, "-m", "portal", "migrate"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": fresh_database},
        check=True,
        capture_output=True,
    )
    version = aio.run(_on(fresh_database, lambda c: c.scalar(text(VERSION))))
    assert version == SCRIPTS.get_current_head()
    assert_rows_kept(before, aio.run(_on(fresh_database, old_rows.snapshot)))


def test_the_chain_is_one_line_from_the_first_migration() -> None:
    """One base and one head: a second head (two branches merged without a merge migration)
    would leave ``upgrade head`` ambiguous."""
    assert len(SCRIPTS.get_bases()) == 1
    assert len(SCRIPTS.get_heads()) == 1
    assert len(UPGRADES) == len(CHAIN) - 1


def _declared_schema(connection: Any) -> dict[str, Any]:
    """SQLite's own record of each table: columns with declared type, NOT NULL, default and key;
    indexes; foreign keys."""
    shape: dict[str, Any] = {}
    tables = connection.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ).scalars()
    for table in sorted(set(tables) - old_rows.SKIPPED):
        columns = {
            row[1]: (row[2].upper(), row[3], row[4], row[5])
            for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')
        }
        indexes = {
            (
                row[2],
                tuple(i[2] for i in connection.exec_driver_sql(f'PRAGMA index_info("{row[1]}")')),
            )
            for row in connection.exec_driver_sql(f'PRAGMA index_list("{table}")')
        }
        keys = {
            (row[2], row[3], row[4], row[6])
            for row in connection.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")')
        }
        shape[table] = {"columns": columns, "indexes": indexes, "foreign keys": keys}
    return shape


def test_a_migrated_sqlite_database_declares_what_the_models_declare(tmp_path: Path) -> None:
    """Batch migrations copy SQLite tables; the copies must keep their types (BINARY ids, not
    NUMERIC), defaults and keys, so the database `make run` upgraded is the one tests create."""
    migrated = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    created = f"sqlite+aiosqlite:///{tmp_path / 'created.db'}"
    migrate.upgrade(migrated)
    load_models()
    aio.run(_on(created, metadata.create_all))
    assert aio.run(_on(migrated, _declared_schema)) == aio.run(_on(created, _declared_schema))


def test_an_upgrade_refuses_rows_that_point_at_nothing(tmp_path: Path) -> None:
    """SQLite migrates with foreign keys off (a batch copy must not cascade); the check at the
    end still refuses to commit references to rows that are not there."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'dangling.db'}"
    first, second = CHAIN[0], CHAIN[1]
    migrate.upgrade(url, first.revision)
    fill(url)
    with closing(sqlite3.connect(tmp_path / "dangling.db")) as raw:  # foreign keys off
        raw.execute("DELETE FROM patient")
        raw.commit()
    with pytest.raises(RuntimeError, match="point at missing rows"):
        migrate.upgrade(url, second.revision)
    version = aio.run(_on(url, lambda c: c.scalar(text(VERSION))))
    assert version == first.revision


# -- text typed before it was normalised ------------------------------------------------------

NORMALISING = SCRIPTS.get_revision("2a78fecee5cb")
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _identities(connection: Any) -> dict[str, Any]:
    return {
        "patients": sorted(
            tuple(r) for r in connection.execute(text("SELECT name, id_number, phone FROM patient"))
        ),
        "accounts": sorted(r[0] for r in connection.execute(text("SELECT phone FROM account"))),
        "version": connection.scalar(text(VERSION)),
    }


def test_identities_typed_in_full_width_are_rewritten_in_ascii(fresh_database: str) -> None:
    migrate.upgrade(fresh_database, NORMALISING.down_revision)
    fill(fresh_database)
    mother_id = old_rows.realistic_rows()["patient"][1]["id_number"]

    def type_in_full_width(connection: Any) -> None:
        connection.execute(
            text("UPDATE patient SET id_number = :typed, phone = :phone WHERE name = '王秀英'"),
            {"typed": mother_id.translate(FULL_WIDTH), "phone": "１３９ 1111 2222"},
        )
        connection.execute(
            text("UPDATE account SET phone = :typed WHERE phone = :phone"),
            {"typed": old_rows.PHONE.translate(FULL_WIDTH), "phone": old_rows.PHONE},
        )

    aio.run(_on(fresh_database, type_in_full_width))
    migrate.upgrade(fresh_database, "head")
    found = aio.run(_on(fresh_database, _identities))
    assert ("王秀英", mother_id, "13911112222") in found["patients"]
    assert old_rows.PHONE in found["accounts"]
    assert all(number.isascii() for _name, number, _phone in found["patients"])


def test_one_person_registered_under_two_spellings_stops_the_upgrade(
    fresh_database: str,
) -> None:
    """The review's attack left two patients for one ID number: no upgrade may pick one."""
    migrate.upgrade(fresh_database, NORMALISING.down_revision)
    fill(fresh_database)
    mother_id = old_rows.realistic_rows()["patient"][1]["id_number"]

    def register_twice(connection: Any) -> None:
        connection.execute(
            text("UPDATE patient SET id_number = :typed WHERE name = '李静'"),
            {"typed": mother_id[:17].translate(FULL_WIDTH) + mother_id[17]},
        )

    aio.run(_on(fresh_database, register_twice))
    before = aio.run(_on(fresh_database, _identities))
    with pytest.raises(RuntimeError, match="merge the two records by hand"):
        migrate.upgrade(fresh_database, "head")
    assert aio.run(_on(fresh_database, _identities)) == before  # nothing half-written


def test_other_scripts_digits_stop_the_upgrade(fresh_database: str) -> None:
    migrate.upgrade(fresh_database, NORMALISING.down_revision)
    fill(fresh_database)

    def arabic_indic(connection: Any) -> None:
        connection.execute(text("UPDATE patient SET phone = '١٣٩١١١١٢٢٢٢' WHERE name = '王秀英'"))

    aio.run(_on(fresh_database, arabic_indic))
    with pytest.raises(RuntimeError, match="not in ASCII digits"):
        migrate.upgrade(fresh_database, "head")
