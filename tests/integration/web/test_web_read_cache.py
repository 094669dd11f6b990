"""Pages keep what they read (a family, a card) between requests only while its tables are
unchanged: any committed write to them, from any session of the process, is seen on the next
page; a write rolled back moves nothing; a session with writes not yet committed reads past."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.accounts.models import Patient
from portal.cards.models import ECard
from portal.cards.services import issue_card
from portal.db.engine import create_engine
from portal.db.generations import GENERATIONS, ReadCache, watch_writes
from portal.settings import DatabaseSettings
from tests.support import aio
from tests.support.cards import card_of
from tests.support.client import PortalClient
from tests.support.people import SELF


@pytest.fixture(autouse=True)
def _writes_watched() -> None:
    """The session events the app installs when it starts; tests here that make no app (and may
    run first in their process) install them themselves."""
    watch_writes()


def _family_page(client: PortalClient) -> None:
    client.log_in(SELF["phone"])
    assert client.add_member(**SELF).status_code == 303
    client.submit("/settings/mode", {"mode": "elder", "next": "/"})


def test_a_card_replaced_outside_the_page_shows_on_the_next_page(client: PortalClient) -> None:
    _family_page(client)
    old = card_of(client, SELF["name"])
    assert old.card_number[:4] in client.get("/").text
    cache: ReadCache = client.app.state.read_cache
    assert cache.enabled
    hits = cache.hits
    assert old.card_number[:4] in client.get("/").text
    assert cache.hits > hits, "the second page should not have asked again"

    async def replace(session: Any) -> None:  # as another request of this process would
        await session.execute(
            update(ECard)
            .where(ECard.id == old.id)
            .values(active=False, revoked_at=datetime.now(UTC))
        )
        await session.flush()
        await issue_card(session, old.patient_id, generation=old.generation + 1)
        await session.commit()

    client.db(replace)
    new = card_of(client, SELF["name"])
    home = client.get("/").text
    assert new.card_number != old.card_number
    assert " ".join(new.card_number[i : i + 4] for i in range(0, 16, 4)) in home
    assert " ".join(old.card_number[i : i + 4] for i in range(0, 16, 4)) not in home


def test_a_name_corrected_by_hand_written_sql_shows_on_the_next_page(client: PortalClient) -> None:
    _family_page(client)
    before = client.get("/ecard").text
    assert "李*" in before and "赵*" not in before

    async def rename(session: Any) -> None:
        await session.execute(
            text("UPDATE patient SET name = :name WHERE name = :old"),
            {"name": "赵小明", "old": SELF["name"]},
        )
        await session.commit()

    client.db(rename)
    assert (
        "赵*" in client.get("/ecard").text
    )  # the card's name (the header keeps the login's label)


def test_generations_move_on_commit_only(database_url: str) -> None:
    async def scenario() -> None:
        engine = create_engine(DatabaseSettings(url=database_url, pool_size=2))
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        tables = ("patient",)
        async with sessions() as session:
            before = GENERATIONS.of(tables)
            await session.execute(update(Patient).where(Patient.name == "nobody").values(name="x"))
            assert GENERATIONS.of(tables) == before, "not committed yet"
            await session.rollback()
            assert GENERATIONS.of(tables) == before, "rolled back"
            await session.execute(select(Patient).limit(1))
            await session.commit()
            assert GENERATIONS.of(tables) == before, "a read commits nothing"
            await session.execute(update(Patient).where(Patient.name == "nobody").values(name="x"))
            await session.commit()
            assert GENERATIONS.of(tables) != before
        await engine.dispose()

    aio.run(scenario())


@pytest.mark.parametrize("pending", [False, True])
def test_a_session_holding_uncommitted_writes_keeps_nothing(
    database_url: str, pending: bool
) -> None:
    async def scenario() -> list[int]:
        engine = create_engine(DatabaseSettings(url=database_url, pool_size=2))
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        cache = ReadCache(enabled=True)
        reads: list[int] = []

        async def read() -> int:
            reads.append(1)
            return len(reads)

        async with sessions() as session:
            if pending:
                await session.execute(
                    update(Patient).where(Patient.name == "nobody").values(name="x")
                )
            await cache.get("k", ("patient",), read, session)
            await cache.get("k", ("patient",), read, session)
            await session.rollback()
        await engine.dispose()
        return reads

    assert len(aio.run(scenario())) == (2 if pending else 1)


def test_a_kept_reading_outlives_a_rollback_of_the_session_that_read_it(
    client: PortalClient,
) -> None:
    """A rollback expires every object its session holds; a kept reading has left it first."""
    _family_page(client)
    cache = ReadCache(enabled=True)

    async def read_then_roll_back(session: Any) -> Patient:
        async def read() -> Patient:
            return (
                await session.scalars(select(Patient).where(Patient.name == SELF["name"]))
            ).one()

        patient = await cache.get("me", ("patient",), read, session, rows=lambda p: [p])
        await session.rollback()
        return patient

    patient = client.db(read_then_roll_back)
    assert patient.name == SELF["name"]  # no DetachedInstanceError: nothing was expired


def test_a_reading_from_a_snapshot_older_than_the_latest_commit_is_not_kept(
    client: PortalClient,
) -> None:
    """A transaction opened before another session's commit may read the old rows (SQLite keeps
    the snapshot it began with): what it reads is answered but never kept."""
    _family_page(client)
    sessions = client.app.state.db_sessions
    cache = ReadCache(enabled=True)

    def name_in(session: Any) -> Any:
        async def read() -> str:
            found = await session.scalars(select(Patient.name).where(Patient.id == patient_id))
            return str(found.one())

        return read

    async def scenario() -> tuple[str, str]:
        async with sessions() as early, sessions() as writer, sessions() as late:
            await early.execute(select(Patient.id).limit(1))  # its transaction (snapshot) begins
            await writer.execute(
                update(Patient).where(Patient.id == patient_id).values(name="赵小明")
            )
            await writer.commit()
            first = await cache.get("p", ("patient",), name_in(early), early)
            again = await cache.get("p", ("patient",), name_in(late), late)
            return first, again

    patient_id = card_of(client, SELF["name"]).patient_id
    first, again = client.blocking_portal.call(scenario)
    assert again == "赵小明", f"the reading of an old snapshot ({first}) was kept"
