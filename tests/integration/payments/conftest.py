"""A logged-in family whose patients the hospital bills, and the hospital's system sending bills."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Patient
from portal.cards.models import ECard
from tests.support.client import PortalClient
from tests.support.databases import TEST_IMPORT_TOKEN
from tests.support.people import MOTHER, SELF

AUTH = {"Authorization": f"Bearer {TEST_IMPORT_TOKEN}"}


@pytest.fixture
def family(client: PortalClient) -> dict[str, dict[str, str]]:
    """李静 logged in, managing herself and her mother 王秀英 (82): their ids, card and ID
    numbers."""
    client.log_in(SELF["phone"])
    assert client.add_member(**SELF).status_code == 303
    assert client.add_member(**MOTHER).status_code == 303

    async def work(db: Any) -> dict[str, dict[str, str]]:
        found = {}
        for key, person in (("self", SELF), ("mother", MOTHER)):
            patient = await db.scalar(select(Patient).where(Patient.name == person["name"]))
            card = await db.scalar(select(ECard.card_number).where(ECard.patient_id == patient.id))
            found[key] = {"id": str(patient.id), "card": card, "id_number": patient.id_number}
        return found

    return client.db(work)


def count(client: PortalClient, model: Any) -> int:
    """How many rows a table holds."""

    async def work(db: Any) -> int:
        return int(await db.scalar(select(func.count()).select_from(model)))

    return client.db(work)


def item(
    line: str, name: str, category: str, fen: int, quantity: int = 1, code: str = ""
) -> dict[str, Any]:
    return {
        "line": line,
        "code": code or f"C{line}",
        "name": name,
        "category": category,
        "quantity": quantity,
        "unit_price_fen": fen,
    }


def lab_bill(
    number: str, card: str, *items: dict[str, Any], title: str = "检验费 · 心血管内科"
) -> dict[str, Any]:
    return {
        "number": number,
        "patient": {"system": "card_number", "value": card},
        "title": title,
        "items": list(items)
        or [
            item("1", "血常规", "lab_test", 2500),
            item("2", "肝功能", "lab_test", 4800),
            item("3", "采血针", "material", 150, quantity=2),
        ],
    }


def send(client: PortalClient, *bills: dict[str, Any], token: str = TEST_IMPORT_TOKEN) -> Any:
    return client.post(
        "/api/v1/bills", json={"bills": list(bills)}, headers={"Authorization": f"Bearer {token}"}
    )


def void(client: PortalClient, number: str, *lines: str) -> Any:
    return client.post(f"/api/v1/bills/{number}/voids", json={"lines": list(lines)}, headers=AUTH)
