"""The appointment list and a booking session's page keep what they read between views (one
process, no Redis: portal/db/generations.py) and still show every change on the next view: a
booking, a cancellation, another family taking the last place, and time passing (which times
are still to come is worked out on every view, never kept)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select

from portal.booking.appointments import AppointmentService
from portal.core.clock import FrozenClock
from portal.db.generations import ReadCache
from tests.integration.booking.conftest import appointment_id_of, book, stranger_books
from tests.support.booking import schedule_id, slot_ids
from tests.support.client import PortalClient
from tests.support.statements import Asked


def _upcoming(page: str) -> str:
    return page.split('id="upcoming-title"')[1].split('id="past-title"')[0]


def test_the_appointment_list_is_kept_and_shows_a_booking_and_a_cancellation_next(
    client: PortalClient, family: dict[str, str]
) -> None:
    cache: ReadCache = client.app.state.read_cache
    assert cache.enabled
    first = appointment_id_of(book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"]))
    assert first in _upcoming(client.get("/appointments").text)
    with Asked(client) as asked:
        assert first in _upcoming(client.get("/appointments").text)
    assert asked == [], "a second view of an unchanged list should ask the database nothing"

    second = appointment_id_of(book(client, slot_ids(client, "ENDO-1201-AM")[0], family["mother"]))
    upcoming = _upcoming(client.get("/appointments").text)
    assert first in upcoming and second in upcoming

    assert client.submit(f"/appointments/{first}/cancel").status_code == 303
    page = client.get("/appointments").text
    assert first not in _upcoming(page) and first in page.split('id="past-title"')[1]
    assert second in _upcoming(page)


def test_time_passing_moves_a_kept_appointment_to_the_past(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    visit = appointment_id_of(book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"]))
    assert visit in _upcoming(client.get("/appointments").text)
    clock.advance(days=2)  # nothing is written: only the clock moves past the visit
    with Asked(client) as asked:
        page = client.get("/appointments").text
    assert asked == []
    assert visit not in _upcoming(page) and visit in page.split('id="past-title"')[1]


def test_a_session_page_is_kept_until_a_place_is_taken_and_drops_times_gone_by(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    path = f"/booking/sessions/{schedule_id(client, 'CARD-1201-AM')}"
    slots = slot_ids(client, "CARD-1201-AM")
    assert all(slot in client.get(path).text for slot in slots)
    with Asked(client) as asked:
        assert all(slot in client.get(path).text for slot in slots)
    assert asked == []

    stranger_books(client, slots[0], 1)  # another process's patients take both places
    stranger_books(client, slots[0], 2)
    with Asked(client) as asked:
        page = client.get(path).text
    assert asked, "a place taken anywhere must be read again"
    assert slots[0] not in page and slots[1] in page

    clock.advance(days=6, hours=23, minutes=20)  # 1 December 08:20: the 08:15 slot has begun
    page = client.get(path).text
    assert slots[1] not in page and slots[2] in page


def test_a_kept_appointment_leaves_its_session_with_everything_it_shows(
    client: PortalClient, family: dict[str, str]
) -> None:
    """The slot, session, doctor, department and patient an appointment was read with leave the
    session with it: a rollback after the reading (which expires what the session holds) must
    not reach what other requests will be shown."""
    book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"])
    state = client.app.state
    account = client.db(lambda db: _account_of(db, family["self"]))

    async def read_then_roll_back(db: Any) -> Any:
        service = AppointmentService(
            db, settings=state.settings.booking, clock=state.clock, cache=ReadCache(enabled=True)
        )
        lists = await service.appointments_on_page(account)
        await db.rollback()
        return lists.upcoming[0]

    appointment = client.db(read_then_roll_back)
    assert appointment.slot.schedule.doctor.department.name  # nothing expired, nothing detached
    assert appointment.patient.name


async def _account_of(db: Any, patient_id: str) -> UUID:
    from portal.booking.models import Appointment

    found = await db.scalar(
        select(Appointment.account_id).where(Appointment.patient_id == UUID(patient_id))
    )
    return UUID(str(found))


def test_a_session_that_does_not_exist_is_not_kept(
    client: PortalClient, family: dict[str, str]
) -> None:
    """Anyone can ask for made-up session ids: each is a 404 and none takes a place among the
    kept readings (which would push out what the family's pages keep)."""
    from uuid import uuid4

    cache: ReadCache = client.app.state.read_cache
    kept = len(cache._kept)
    for _ in range(3):
        assert client.get(f"/booking/sessions/{uuid4()}").status_code == 404
    assert len(cache._kept) == kept
