"""The waitlist (候补): join a full session, offers on cancellation, hold, accept, decline,
timeout — and never two offers for one place."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.booking.models import Appointment, ReturnedPlace, Slot, WaitlistEntry
from portal.core.clock import FrozenClock
from portal.messaging.models import OutboxMessage
from tests.integration.booking.conftest import (
    appointment_id_of,
    book,
    stranger,
    with_rules,
)
from tests.integration.booking.test_booking_rules import release_due
from tests.support.booking import schedule_id, slot_ids
from tests.support.client import PortalClient

FULL = "CARD-1130-AM"  # one slot, one place


def join(client: PortalClient, session_code: str, patient: str) -> Any:
    return client.submit(
        "/booking/waitlist", {"session": schedule_id(client, session_code), "patient": patient}
    )


def entries(client: PortalClient) -> list[tuple[str, str, str | None]]:
    """(patient id, status, place id) of every waitlist entry, in the order they joined."""

    async def work(db: Any) -> list[tuple[str, str, str | None]]:
        rows = await db.execute(
            select(WaitlistEntry.patient_id, WaitlistEntry.status, WaitlistEntry.place_id).order_by(
                WaitlistEntry.joined_at, WaitlistEntry.created_at
            )
        )
        return [(str(p), s, str(place) if place else None) for p, s, place in rows]

    return client.db(work)


def stranger_joins(client: PortalClient, number: int, session_code: str = FULL) -> str:
    """Another family joins the waitlist (through the service); returns their patient id."""
    from uuid import UUID

    from portal.booking.waitlist import WaitlistService

    account_id, patient = stranger(client, number)
    state = client.app.state
    session_id = schedule_id(client, session_code)

    async def work(db: Any) -> None:
        service = WaitlistService(db, settings=state.settings.booking, clock=state.clock)
        await service.join_waitlist(
            account_id=UUID(account_id),
            patient_id=UUID(patient),
            schedule_id=UUID(session_id),
        )

    client.db(work)
    return patient


@pytest.fixture
def full_session(client: PortalClient, family: dict[str, str]) -> str:
    """李静 holds the only place of the session; returns her appointment's id."""
    return appointment_id_of(book(client, slot_ids(client, FULL)[0], family["self"]))


def test_a_session_with_free_places_has_no_waitlist(
    client: PortalClient, family: dict[str, str]
) -> None:
    response = join(client, "CARD-1201-AM", family["mother"])
    assert response.status_code == 400
    assert "/booking/confirm?slot=" in response.text


def test_joining_a_full_session_and_seeing_the_place_in_line(
    client: PortalClient, family: dict[str, str], full_session: str, clock: FrozenClock
) -> None:
    stranger_joins(client, 1)
    clock.advance(seconds=1)
    response = join(client, FULL, family["mother"])
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "王*英" in page.text
    assert 'action="/appointments/waitlist/' in page.text
    assert "2" in page.text.split("status-word")[-1]  # number 2 in line
    again = join(client, FULL, family["mother"])
    assert again.status_code == 400


def test_a_cancellation_offers_the_place_to_the_first_waiting_by_sms(
    client: PortalClient, family: dict[str, str], full_session: str, clock: FrozenClock
) -> None:
    assert join(client, FULL, family["mother"]).status_code == 303
    clock.advance(seconds=1)
    second = stranger_joins(client, 2)
    assert client.submit(f"/appointments/{full_session}/cancel").status_code == 303
    assert [(p, s) for p, s, _ in entries(client)] == [
        (family["mother"], "offered"),
        (second, "waiting"),
    ]

    async def messages(db: Any) -> list[str]:
        return list(await db.scalars(select(OutboxMessage.body)))

    sms = client.db(messages)
    assert len(sms) == 2  # the login code, then the offer
    assert "王*英" in sms[-1] and "09:30" in sms[-1]  # held 30 minutes from 09:00
    page = client.get("/appointments")
    assert 'action="/appointments/offers/' in page.text


def test_accepting_the_offer_books_the_held_place(
    client: PortalClient, family: dict[str, str], full_session: str, clock: FrozenClock
) -> None:
    assert join(client, FULL, family["mother"]).status_code == 303
    client.submit(f"/appointments/{full_session}/cancel")
    offer = client.get("/appointments").text.split('action="/appointments/offers/')[1].split("/")[0]
    clock.advance(minutes=29, seconds=59)  # a second before the hold ends
    response = client.submit(f"/appointments/offers/{offer}/accept")
    appointment = appointment_id_of(response)

    slot = slot_ids(client, FULL)[0]

    async def state(db: Any) -> tuple[Any, ...]:
        booked = await db.scalar(select(Slot.booked).where(Slot.id == slot))
        live = await db.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "booked")
        )
        place = await db.scalar(select(ReturnedPlace.status))
        return booked, live, place

    assert client.db(state) == (1, 1, "taken")
    assert client.get(f"/appointments/{appointment}").status_code == 200


def test_declining_passes_the_place_to_the_next_in_line(
    client: PortalClient, family: dict[str, str], full_session: str, clock: FrozenClock
) -> None:
    assert join(client, FULL, family["mother"]).status_code == 303
    clock.advance(seconds=1)
    second = stranger_joins(client, 3)
    client.submit(f"/appointments/{full_session}/cancel")
    offer = client.get("/appointments").text.split('action="/appointments/offers/')[1].split("/")[0]
    assert client.submit(f"/appointments/offers/{offer}/decline").status_code == 303
    assert [(p, s) for p, s, _ in entries(client)] == [
        (family["mother"], "declined"),
        (second, "offered"),
    ]


def test_an_unanswered_offer_expires_and_passes_on(
    client: PortalClient, family: dict[str, str], full_session: str, clock: FrozenClock
) -> None:
    assert join(client, FULL, family["mother"]).status_code == 303
    clock.advance(seconds=1)
    second = stranger_joins(client, 4)
    client.submit(f"/appointments/{full_session}/cancel")
    offer = client.get("/appointments").text.split('action="/appointments/offers/')[1].split("/")[0]
    done = release_due(client, clock, minutes=29, seconds=58)
    assert done.offers_expired == 0
    done = release_due(client, clock, minutes=0, seconds=2)  # 30 minutes after the offer
    assert done.offers_expired == 1
    assert [(p, s) for p, s, _ in entries(client)] == [
        (family["mother"], "expired"),
        (second, "offered"),
    ]
    late = client.submit(f"/appointments/offers/{offer}/accept")
    assert late.status_code == 400


@pytest.mark.parametrize(
    "rules",
    [with_rules(rerelease_delay_min_minutes=10, rerelease_delay_max_minutes=10)],
    indirect=True,
)
def test_when_nobody_else_waits_a_declined_place_goes_back_on_sale_later(
    client: PortalClient, family: dict[str, str], full_session: str, clock: FrozenClock
) -> None:
    assert join(client, FULL, family["mother"]).status_code == 303
    client.submit(f"/appointments/{full_session}/cancel")
    offer = client.get("/appointments").text.split('action="/appointments/offers/')[1].split("/")[0]
    client.submit(f"/appointments/offers/{offer}/decline")
    assert book(client, slot_ids(client, FULL)[0], family["mother"]).status_code == 409
    release_due(client, clock, minutes=10)
    appointment_id_of(book(client, slot_ids(client, FULL)[0], family["mother"]))


def test_two_places_free_go_to_two_different_people_never_one_place_twice(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    # A session of one slot with two places, both booked.
    both = slot_ids(client, "CARD-1201-AM")[0]
    mine = appointment_id_of(book(client, both, family["self"]))
    theirs = appointment_id_of(book(client, both, family["mother"]))
    waiting = []
    # Fill the rest of the session so the waitlist opens.
    from tests.integration.booking.conftest import stranger_books

    for number, slot in enumerate(slot_ids(client, "CARD-1201-AM")[1:], start=10):
        stranger_books(client, slot, number)
        stranger_books(client, slot, number + 10)
    for number in range(30, 33):
        waiting.append(stranger_joins(client, number, "CARD-1201-AM"))
        clock.advance(seconds=1)
    client.submit(f"/appointments/{mine}/cancel")
    client.submit(f"/appointments/{theirs}/cancel")
    offered = [(p, place) for p, s, place in entries(client) if s == "offered"]
    assert [p for p, _ in offered] == waiting[:2]
    assert len({place for _, place in offered}) == 2


def test_leaving_the_waitlist(
    client: PortalClient, family: dict[str, str], full_session: str
) -> None:
    assert join(client, FULL, family["mother"]).status_code == 303
    entry = (
        client.get("/appointments").text.split('action="/appointments/waitlist/')[1].split("/")[0]
    )
    assert client.submit(f"/appointments/waitlist/{entry}/leave").status_code == 303
    assert [s for _, s, _ in entries(client)] == ["left"]


def test_another_familys_offer_cannot_be_accepted(
    client: PortalClient, family: dict[str, str], full_session: str
) -> None:
    theirs = stranger_joins(client, 40)
    client.submit(f"/appointments/{full_session}/cancel")
    assert [s for p, s, _ in entries(client) if p == theirs] == ["offered"]

    async def entry_id(db: Any) -> str:
        return str(await db.scalar(select(WaitlistEntry.id)))

    forged = client.db(entry_id)
    assert client.submit(f"/appointments/offers/{forged}/accept").status_code == 404
    assert client.submit(f"/appointments/offers/{forged}/decline").status_code == 404
