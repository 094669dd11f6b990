"""The invariant checker (tests/support/invariants.py) notices what it is there to notice: a
checker that never fails proves nothing for the fuzzer and the crash-recovery test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError

from portal.accounts.models import Account, AccountPatient, LoginCode, Patient
from portal.cards.models import ECard
from tests.support.client import PortalClient
from tests.support.invariants import broken_invariants
from tests.support.people import MOTHER, SELF


def broken(client: PortalClient) -> list[str]:
    return list(client.db(broken_invariants))


def test_a_family_made_through_the_pages_breaks_nothing(client: PortalClient) -> None:
    client.log_in(SELF["phone"])
    assert client.add_member(**SELF).status_code == 303
    assert client.add_member(**MOTHER).status_code == 303
    assert broken(client) == []


def test_people_problems_are_noticed(client: PortalClient) -> None:
    client.log_in(SELF["phone"])
    assert client.add_member(**SELF).status_code == 303

    async def spoil(db: Any) -> None:
        await db.execute(update(ECard).values(active=False))
        await db.execute(
            update(Patient).values(phone="１３７００００００01", id_number="１" * 17 + "X")
        )
        account = Account(phone="13700000002")
        db.add(account)
        await db.flush()
        for n in range(6):
            patient = Patient(
                name=f"病人{n}",
                id_number=f"11010119800101{n:03d}X",
                phone="13700000002",
                sex="M",
                birth_date=date(1980, 1, 1),
            )
            db.add(patient)
            await db.flush()
            db.add(
                AccountPatient(
                    account_id=account.id, patient_id=patient.id, relationship_kind="other"
                )
            )
        db.add(
            LoginCode(phone="１３７", code_hash="x", expires_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
        await db.commit()

    client.db(spoil)
    problems = "\n".join(broken(client))
    assert "has 0 active cards" in problems
    assert "manages 6 patients (at most 5)" in problems
    assert "login_code.phone '１３７' is not 11 ASCII digits" in problems
    assert "patient.phone '１３７００００００01' is not 11 ASCII digits" in problems
    assert "is not 17 ASCII digits and a check" in problems


def test_a_nul_stored_in_any_text_column_is_noticed(client: PortalClient) -> None:
    """SQLite stores a NUL where it is told to, so the check must see it; PostgreSQL refuses it
    itself, so nothing can be stored for the check to miss."""
    client.log_in(SELF["phone"])
    on_postgres = client.app.state.settings.db.url.startswith("postgresql")

    async def spoil(db: Any) -> None:
        await db.execute(update(Account).values(display_mode="el\x00der"))
        await db.commit()

    if on_postgres:
        with pytest.raises(DBAPIError):
            client.db(spoil)
        assert broken(client) == []
    else:
        client.db(spoil)
        assert broken(client) == ["account.display_mode holds a NUL: 'el\\x00der'"]
