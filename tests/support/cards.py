"""Helpers for card and desk tests: patients with cards, staff, API clients, live codes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import ecard
from portal.api.services import create_client
from portal.cards.keys import build_keyring
from portal.cards.models import ECard
from portal.core.touchpoints import Role, Touchpoint
from portal.staff.services import StaffService
from tests.support.client import PortalClient

STAFF_PASSWORD = "correct-horse-battery"


def card_of(client: PortalClient, patient_name: str, active: bool = True) -> ECard:
    from portal.accounts.models import Patient

    async def find(session: Any) -> ECard:
        query = (
            select(ECard)
            .join(Patient, Patient.id == ECard.patient_id)
            .where(Patient.name == patient_name)
        )
        if active:
            query = query.where(ECard.active.is_(True))
        return (await session.scalars(query.order_by(ECard.generation))).first()

    card = client.db(find)
    assert card is not None, f"no card for {patient_name}"
    return card


def live_code(client: PortalClient, card: ECard, at: float | None = None) -> str:
    keyring = build_keyring(client.app.state.settings)
    now = client.app.state.clock.now().timestamp() if at is None else at
    return ecard.issue_code(keyring, card.card_number, card.generation, now)


def make_staff(
    client: PortalClient,
    username: str,
    role: Role,
    touchpoints: list[Touchpoint],
    doctor_code: str | None = None,
) -> None:
    async def create(session: Any) -> None:
        await StaffService(session=session).create_staff(
            username=username,
            display_name=f"Staff {username}",
            password=STAFF_PASSWORD,
            role=role,
            touchpoints=touchpoints,
            doctor_code=doctor_code,
        )

    client.db(create)


def deactivate_staff(client: PortalClient, username: str) -> None:
    """The staff account is switched off (someone left the hospital)."""
    from portal.staff.models import Staff

    async def deactivate(session: Any) -> None:
        staff = await session.scalar(select(Staff).where(Staff.username == username))
        staff.active = False
        await session.commit()

    client.db(deactivate)


def staff_login(client: PortalClient, username: str) -> None:
    response = client.submit("/staff/login", {"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 303, response.text


def make_api_client(client: PortalClient, name: str, scopes: list[str]) -> str:
    async def create(session: Any) -> str:
        token = await create_client(session, name, scopes)
        await session.commit()
        return token

    return str(client.db(create))
