"""Booking through the pages: confirm, book, the result page, the full page."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from portal.booking.fullness import MAX_AGE_SECONDS
from portal.booking.models import Appointment, Slot
from portal.payments.models import Bill
from tests.integration.booking.conftest import appointment_id_of, book, stranger_books
from tests.support.booking import slot_ids
from tests.support.client import PortalClient


def test_confirm_page_shows_who_doctor_where_when_and_fee(
    client: PortalClient, family: dict[str, str]
) -> None:
    slot = slot_ids(client, "CARD-1201-AM")[0]
    page = client.get(f"/booking/confirm?slot={slot}")
    assert page.status_code == 200
    text = page.text
    assert "张伟" in text and "心血管内科" in text
    assert "门诊楼 3 层 A 区" in text and "305 诊室" in text
    assert "08:00–08:15" in text
    assert "¥50.00" in text
    assert "王*英" in text and "李*" in text  # who: masked family members to choose from
    assert 'action="/booking/appointments"' in text


def test_booking_leads_to_a_result_page_with_next_steps(
    client: PortalClient, family: dict[str, str]
) -> None:
    slot = slot_ids(client, "CARD-1201-AM")[0]
    response = book(client, slot, family["mother"])
    appointment = appointment_id_of(response)
    assert response.headers["location"] == f"/appointments/{appointment}/booked"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'data-outcome="booked"' in page.text
    assert "07:30" in page.text  # arrive 30 minutes before 08:00
    assert f"/appointments/{appointment}/calendar.ics" in page.text


def test_booking_creates_an_unpaid_registration_bill_and_takes_one_place(
    client: PortalClient, family: dict[str, str]
) -> None:
    slot = slot_ids(client, "CARD-1201-AM")[0]
    appointment_id_of(book(client, slot, family["self"]))

    async def state(db: Any) -> tuple[Any, ...]:
        bill = await db.scalar(select(Bill))
        booked = await db.scalar(select(Slot.booked).where(Slot.id == slot))
        appointment = await db.scalar(select(Appointment))
        return bill.kind, bill.status, bill.total_cents, booked, appointment.status

    assert client.db(state) == ("registration", "unpaid", 5000, 1, "booked")


def test_a_full_slot_gets_the_full_page_with_the_nearest_free_times(
    client: PortalClient, family: dict[str, str]
) -> None:
    first, second, *_ = slot_ids(client, "CARD-1201-AM")
    appointment_id_of(book(client, first, family["self"]))
    stranger_books(client, first)  # another family takes the other place
    response = book(client, first, family["mother"])
    assert response.status_code == 409
    assert 'data-outcome="full"' in response.text
    assert f"/booking/confirm?slot={second}" in response.text  # the nearest free time
    # The same page answers a confirmation link to the full slot.
    page = client.get(f"/booking/confirm?slot={first}")
    assert 'data-outcome="full"' in page.text


def test_the_nearest_free_times_follow_the_bookings_made_meanwhile(
    client: PortalClient, family: dict[str, str]
) -> None:
    """The full page's reading of a slot is shared for up to a second per process: a booking
    through this process drops it at once, one through another shows within the second."""
    first, second, third, *_ = slot_ids(client, "CARD-1201-AM")
    appointment_id_of(book(client, first, family["self"]))
    stranger_books(client, first)
    assert f"?slot={second}" in book(client, first, family["mother"]).text
    stranger_books(client, second, 2, in_this_process=True)
    stranger_books(client, second, 3, in_this_process=True)
    page = book(client, first, family["mother"]).text
    assert f"?slot={second}" not in page and f"?slot={third}" in page
    stranger_books(client, third, 4)  # in another process: this one hears nothing of it
    stranger_books(client, third, 5)
    time.sleep(MAX_AGE_SECONDS)
    page = book(client, first, family["mother"]).text
    assert f"?slot={third}" not in page and f"?slot={second}" not in page
    assert 'data-outcome="full"' in page


def test_a_request_hands_back_its_connection_before_waiting_for_a_shared_reading(
    client: PortalClient, family: dict[str, str]
) -> None:
    """A crowd each holding a connection while waiting for a reading that needs one more would
    empty the pool: the request's own transaction ends first."""
    from uuid import UUID

    from portal.booking.fullness import FullSlotReadings
    from portal.booking.timetable import TimetableService

    first = slot_ids(client, "CARD-1201-AM")[0]
    state = client.app.state

    async def work(db: Any) -> tuple[bool, bool]:
        timetable = TimetableService(
            db, settings=state.settings.booking, clock=state.clock, full_slots=FullSlotReadings()
        )
        await timetable.slot(UUID(first), fresh=True)
        before = db.in_transaction()
        full = await timetable.full_slot(UUID(first))
        assert str(full.slot.id) == first
        return before, db.in_transaction()

    assert client.db(work) == (True, False)


def test_who_is_booked_must_be_chosen(client: PortalClient, family: dict[str, str]) -> None:
    slot = slot_ids(client, "CARD-1201-AM")[0]
    response = client.submit("/booking/appointments", {"slot": slot})
    assert response.status_code == 400
    assert 'id="f-patient-error"' in response.text


def test_booking_pages_ask_for_login(client: PortalClient, timetable: dict[str, Any]) -> None:
    slot = slot_ids(client, "CARD-1201-AM")[0]
    response = client.get(f"/booking/confirm?slot={slot}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_an_account_without_family_members_is_asked_to_add_one(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    client.log_in("13700000009")
    slot = slot_ids(client, "CARD-1201-AM")[0]
    page = client.get(f"/booking/confirm?slot={slot}")
    assert page.status_code == 200
    assert 'href="/patients/new"' in page.text
    assert 'action="/booking/appointments"' not in page.text


def test_the_confirmation_of_an_unreleased_time_says_when_it_opens(
    client: PortalClient, family: dict[str, str]
) -> None:
    page = client.get(f"/booking/confirm?slot={slot_ids(client, 'CARD-1202-AM')[0]}")
    assert page.status_code == 200
    assert "07:30" in page.text
    assert 'action="/booking/appointments"' not in page.text
