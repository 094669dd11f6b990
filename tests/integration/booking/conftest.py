"""Booking tests: explicit rules (not the environment's), a timetable, a logged-in family."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from portal.accounts.models import Patient
from portal.settings import BookingSettings, Settings
from tests.conftest import make_settings
from tests.support.booking import import_timetable, session, standard_timetable
from tests.support.client import PortalClient
from tests.support.people import MOTHER, SELF

RULES = BookingSettings(
    release_days_ahead=7,
    release_time="07:30",
    max_active_per_account=5,
    cancel_cutoff_minutes=120,
    no_show_window_days=90,
    no_show_limit=3,
    no_show_lock_days=90,
    waitlist_hold_minutes=30,
    rerelease_delay_min_minutes=10,
    rerelease_delay_max_minutes=10,
    requests_per_account_per_minute=1000,
    requests_per_address_per_minute=1000,
    arrive_early_minutes=30,
    housekeeping_seconds=0,
)


@pytest.fixture
def rules(request: pytest.FixtureRequest) -> BookingSettings:
    """The booking rules for this test; change one with
    ``@pytest.mark.parametrize("rules", [with_rules(...)], indirect=True)``."""
    return getattr(request, "param", RULES)


@pytest.fixture
def settings(database_url: str, rules: BookingSettings) -> Settings:
    return make_settings(database_url, booking=rules)


def with_rules(**changes: Any) -> BookingSettings:
    return replace(RULES, **changes)


# The clock fixture says Tuesday 24 November 2026, 09:00 in Shanghai.
SESSIONS = {
    # Open now (released on 24 Nov at 07:30): four 15-minute slots of two places.
    "CARD-1201-AM": session("CARD-1201-AM", "D1", "2026-12-01"),
    "CARD2-1201-PM": session(
        "CARD2-1201-PM", "D2", "2026-12-01", period="afternoon", start="14:00", end="15:00"
    ),
    # Tomorrow morning.
    "CARD-1125-AM": session("CARD-1125-AM", "D1", "2026-11-25"),
    # Opens on 25 November at 07:30.
    "CARD-1202-AM": session("CARD-1202-AM", "D1", "2026-12-02"),
    "ENDO-1201-AM": session("ENDO-1201-AM", "D3", "2026-12-01", fee="30.00"),
    # One place only: for waitlist tests.
    "CARD-1130-AM": session(
        "CARD-1130-AM", "D1", "2026-11-30", start="08:00", end="08:15", places=1
    ),
}


@pytest.fixture
def timetable(client: PortalClient) -> dict[str, Any]:
    response = import_timetable(client, standard_timetable(**SESSIONS))
    assert response.status_code == 200, response.text
    return response.json()


def patient_id(client: PortalClient, name: str) -> str:
    async def work(db: Any) -> str:
        return str(await db.scalar(select(Patient.id).where(Patient.name == name)))

    return client.db(work)


@pytest.fixture
def family(client: PortalClient, timetable: dict[str, Any]) -> dict[str, str]:
    """李静 logged in, managing herself and her mother 王秀英 (82)."""
    client.log_in(SELF["phone"])
    assert client.add_member(**SELF).status_code == 303
    assert client.add_member(**MOTHER).status_code == 303
    return {"self": patient_id(client, SELF["name"]), "mother": patient_id(client, MOTHER["name"])}


def book(client: PortalClient, slot: str, patient: str) -> Any:
    return client.submit("/booking/appointments", {"slot": slot, "patient": patient})


def appointment_id_of(response: Any) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[2]


def stranger(client: PortalClient, number: int) -> tuple[str, str]:
    """Another family's account with one patient, made directly: (account id, patient id)."""
    from datetime import date

    from portal.accounts.models import Account
    from portal.accounts.services import PatientService
    from tests.support.people import id_number

    phone = f"1360000{number:04d}"

    async def work(db: Any) -> tuple[str, str]:
        account = Account(phone=phone)
        db.add(account)
        await db.flush()
        member = await PatientService(db, client.app.state.events).add_member(
            account.id,
            name=f"赵{'建国民安'[number % 4]}{number}",
            id_number=id_number(date(1950, 1, 1), 100 + number),
            phone=phone,
            relationship="self",
            today=date(2026, 11, 24),
        )
        return str(account.id), str(member.id)

    return client.db(work)


def stranger_books(
    client: PortalClient, slot: str, number: int = 1, *, in_this_process: bool = False
) -> str:
    """Another family books a place (through the service, as a concurrent patient would: in
    another app process unless ``in_this_process``, whose readings of full slots it updates)."""
    from uuid import UUID

    from portal.booking.services import BookingService

    account_id, patient = stranger(client, number)
    state = client.app.state

    async def work(db: Any) -> str:
        service = BookingService(
            db,
            settings=state.settings.booking,
            clock=state.clock,
            full_slots=state.full_slot_readings if in_this_process else None,
        )
        appointment = await service.book_slot(
            account_id=UUID(account_id), patient_id=UUID(patient), slot_id=UUID(slot)
        )
        return str(appointment.id)

    return client.db(work)
