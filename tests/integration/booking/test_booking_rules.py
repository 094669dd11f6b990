"""Each booking rule at its edges: the minute before release, the minute of the cut-off, the
third no-show, the account's limit, one per department per day, rate limits, forged ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select, update

from portal.booking.models import Appointment, Slot
from portal.booking.noshows import NoShowService
from portal.booking.visits import VisitService
from portal.booking.waitlist import WaitlistService
from portal.core.clock import FrozenClock
from portal.payments.models import Bill, Refund
from tests.conftest import SHANGHAI
from tests.integration.booking.conftest import (
    appointment_id_of,
    book,
    stranger,
    stranger_books,
    with_rules,
)
from tests.support.booking import import_timetable, session, slot_ids, standard_timetable
from tests.support.client import PortalClient
from tests.support.paying import deliver, follow, pay_through


def at(clock: FrozenClock, month: int, day: int, hour: int, minute: int = 0) -> None:
    clock.at = datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# -- release ---------------------------------------------------------------------------------


def test_a_minute_before_release_booking_is_refused_with_the_opening_time(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    slot = slot_ids(client, "CARD-1202-AM")[0]  # 2 December opens 25 November 07:30
    at(clock, 11, 25, 7, 29)
    response = book(client, slot, family["self"])
    assert response.status_code == 400
    assert "07:30" in response.text


def test_at_the_release_minute_booking_succeeds(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    slot = slot_ids(client, "CARD-1202-AM")[0]
    at(clock, 11, 25, 7, 30)
    appointment_id_of(book(client, slot, family["self"]))


def test_the_day_buttons_show_unreleased_days_with_their_opening_time(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    doctor_page = client.get("/booking/search?q=张伟")
    doctor_link = doctor_page.text.split('href="/booking/doctors/')[1].split('"')[0]
    page = client.get(f"/booking/doctors/{doctor_link}?day=2026-12-02")
    assert "day-button not_open" in page.text
    assert 'href="/booking/confirm' not in page.text  # nothing to book on an unreleased day


def test_a_slot_that_has_begun_cannot_be_booked(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    first = slot_ids(client, "CARD-1125-AM")[0]  # 25 November 08:00
    at(clock, 11, 25, 8, 0)
    response = book(client, first, family["self"])
    assert response.status_code == 400


def test_a_stopped_session_cannot_be_booked(client: PortalClient, family: dict[str, str]) -> None:
    stopped = session("CARD-1201-AM", "D1", "2026-12-01", status="stopped")
    assert import_timetable(client, standard_timetable(x=stopped)).status_code == 200
    response = book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"])
    assert response.status_code == 400


# -- one per department per day, and the account's limit -------------------------------------


def test_one_appointment_per_patient_per_department_per_day(
    client: PortalClient, family: dict[str, str]
) -> None:
    morning = slot_ids(client, "CARD-1201-AM")
    afternoon = slot_ids(client, "CARD2-1201-PM")
    appointment_id_of(book(client, morning[0], family["mother"]))
    # The same patient, same department, same day, another doctor: refused, and says why.
    refused = book(client, afternoon[0], family["mother"])
    assert refused.status_code == 400
    assert "王*英" in refused.text
    # Another family member may; and the same patient may see another department that day.
    appointment_id_of(book(client, afternoon[0], family["self"]))
    appointment_id_of(book(client, slot_ids(client, "ENDO-1201-AM")[0], family["mother"]))


def test_booking_the_same_place_again_answers_with_the_same_appointment(
    client: PortalClient, family: dict[str, str]
) -> None:
    """A second tap, or a retry after the answer was lost (a dropped connection, a server
    restart): the patient's own place is neither "already booked" nor "full", and not taken
    twice. The slot is full after the first booking and a stranger's."""
    slot = slot_ids(client, "CARD-1201-AM")[0]  # two places
    first = appointment_id_of(book(client, slot, family["mother"]))
    assert appointment_id_of(book(client, slot, family["mother"])) == first
    stranger_books(client, slot)
    assert appointment_id_of(book(client, slot, family["mother"])) == first
    assert book(client, slot, family["self"]).status_code == 409  # full for anyone else

    async def state(db: Any) -> tuple[int, int, int]:
        booked = await db.scalar(select(Slot.booked).where(Slot.id == UUID(slot)))
        appointments = await db.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.slot_id == UUID(slot))
        )
        bills = await db.scalar(select(func.count()).select_from(Bill))
        return int(booked), int(appointments), int(bills)

    assert client.db(state) == (2, 2, 2)


def test_a_cancelled_appointment_frees_the_day_for_the_department(
    client: PortalClient, family: dict[str, str]
) -> None:
    morning = slot_ids(client, "CARD-1201-AM")
    first = appointment_id_of(book(client, morning[0], family["mother"]))
    assert client.submit(f"/appointments/{first}/cancel").status_code == 303
    appointment_id_of(book(client, morning[1], family["mother"]))


@pytest.mark.parametrize("rules", [with_rules(max_active_per_account=2)], indirect=True)
def test_the_account_limit_allows_n_and_refuses_the_next(
    client: PortalClient, family: dict[str, str]
) -> None:
    appointment_id_of(book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"]))
    appointment_id_of(book(client, slot_ids(client, "ENDO-1201-AM")[0], family["self"]))
    refused = book(client, slot_ids(client, "CARD-1125-AM")[0], family["mother"])
    assert refused.status_code == 400
    assert "2" in refused.text


@pytest.mark.parametrize("rules", [with_rules(max_active_per_account=1)], indirect=True)
def test_past_visits_do_not_count_against_the_limit(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    first = appointment_id_of(book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"]))

    async def seen(db: Any) -> None:
        await db.execute(
            update(Appointment).where(Appointment.id == first).values(status="completed")
        )
        await db.commit()

    clock.advance(days=1, hours=1)  # 25 November 10:00, after the visit
    client.db(seen)
    appointment_id_of(book(client, slot_ids(client, "CARD-1201-AM")[0], family["mother"]))


# -- cancelling --------------------------------------------------------------------------------


def test_cancelling_a_minute_before_the_cutoff_is_allowed_and_voids_the_bill(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = appointment_id_of(
        book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"])
    )
    at(clock, 11, 25, 5, 59)  # the slot starts 08:00; the cut-off is two hours before
    response = client.submit(f"/appointments/{appointment}/cancel")
    assert response.status_code == 303

    async def state(db: Any) -> tuple[str, str]:
        bill = await db.scalar(select(Bill.status))
        status = await db.scalar(select(Appointment.status))
        return status, bill

    assert client.db(state) == ("cancelled", "void")


def test_a_fee_paid_on_the_phone_comes_back_on_its_own_when_cancelled_in_time(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = appointment_id_of(
        book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"])
    )
    client.get(pay_through(client, family["self"]))
    assert client.submit(f"/appointments/{appointment}/cancel").status_code == 303

    async def state(db: Any) -> tuple[str, list[tuple[int, str]]]:
        bill = await db.scalar(select(Bill))
        refunds = [(r.amount_cents, r.status) for r in await db.scalars(select(Refund))]
        return bill.status, refunds

    status, refunds = client.db(state)
    assert status == "refunded" and len(refunds) == 1
    fee = refunds[0][0]
    assert fee > 0 and refunds[0][1] == "requested"
    follow(client)  # what the app does every few seconds: the refund goes to the gateway
    deliver(client)  # the gateway finishes it and says so
    assert client.db(state) == ("refunded", [(fee, "succeeded")])
    page = client.get(f"/appointments/{appointment}?cancelled=1").text
    assert "已退费" in page and "原路退回" in page


def test_cancelling_at_the_cutoff_minute_is_refused_and_explained(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = appointment_id_of(
        book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"])
    )
    at(clock, 11, 25, 6, 0)
    page = client.get(f"/appointments/{appointment}/cancel")
    assert f'action="/appointments/{appointment}/cancel"' not in page.text
    assert "06:00" in page.text
    response = client.submit(f"/appointments/{appointment}/cancel")
    assert response.status_code == 400
    assert "06:00" in response.text


def test_a_cancelled_place_returns_to_sale_only_after_the_random_delay(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    slot = slot_ids(client, "CARD-1130-AM")[0]  # one place
    appointment = appointment_id_of(book(client, slot, family["self"]))
    assert client.submit(f"/appointments/{appointment}/cancel").status_code == 303
    # Not back on sale at once: a scalper watching for it gets the full page.
    assert book(client, slot, family["mother"]).status_code == 409
    release_due(client, clock, minutes=9, seconds=59)
    assert book(client, slot, family["mother"]).status_code == 409
    release_due(client, clock, seconds=1)  # ten minutes after the cancellation
    appointment_id_of(book(client, slot, family["mother"]))


def release_due(client: PortalClient, clock: FrozenClock, **delta: float) -> Any:
    clock.advance(**delta)
    state = client.app.state

    async def work(db: Any) -> Any:
        service = WaitlistService(db, settings=state.settings.booking, clock=state.clock)
        return await service.release_due_slots()

    return client.db(work)


# -- no-shows ------------------------------------------------------------------------------------


def record_no_shows(client: PortalClient) -> int:
    state = client.app.state

    async def work(db: Any) -> int:
        return await NoShowService(db, clock=state.clock).record_no_shows()

    return client.db(work)


def test_a_no_show_is_recorded_when_the_slot_ends_without_check_in(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment_id_of(book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"]))
    at(clock, 11, 25, 8, 14)  # the slot runs 08:00–08:15
    assert record_no_shows(client) == 0
    at(clock, 11, 25, 8, 15)
    assert record_no_shows(client) == 1

    async def state(db: Any) -> tuple[str, str]:
        return await db.scalar(select(Appointment.status)), await db.scalar(select(Bill.status))

    assert client.db(state) == ("no_show", "void")


def test_a_checked_in_patient_is_not_a_no_show(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = appointment_id_of(
        book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"])
    )
    at(clock, 11, 25, 7, 40)
    state = client.app.state

    async def check_in(db: Any) -> str:
        checked_in = await VisitService(db, clock=state.clock).mark_checked_in(
            UUID(appointment), state.clock.now()
        )
        await db.commit()
        return checked_in.status

    assert client.db(check_in) == "checked_in"
    at(clock, 11, 25, 9, 0)
    assert record_no_shows(client) == 0


NO_SHOW_DAYS = {
    f"CARD-112{d}-AM": session(f"CARD-112{d}-AM", "D1", f"2026-11-2{d}") for d in (5, 6, 7)
}


def test_the_third_no_show_in_90_days_pauses_booking(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    assert import_timetable(client, standard_timetable(**NO_SHOW_DAYS)).status_code == 200
    for code in NO_SHOW_DAYS:
        appointment_id_of(book(client, slot_ids(client, code)[0], family["mother"]))
    later = slot_ids(client, "ENDO-1201-AM")
    for missed, day in enumerate((25, 26), start=1):
        at(clock, 11, day, 9, 0)
        assert record_no_shows(client) == 1, f"no-show {missed}"
    # Two no-shows: still allowed.
    second_chance = appointment_id_of(book(client, later[0], family["mother"]))
    assert client.submit(f"/appointments/{second_chance}/cancel").status_code == 303
    at(clock, 11, 27, 9, 0)
    assert record_no_shows(client) == 1
    refused = book(client, later[1], family["mother"])
    assert refused.status_code == 400
    assert "王*英" in refused.text
    assert "2027" in refused.text  # paused for 90 days from 27 November: until 25 February 2027
    # Other family members are not affected.
    appointment_id_of(book(client, later[1], family["self"]))


# -- rate limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rules", [with_rules(requests_per_account_per_minute=3)], indirect=True)
def test_booking_requests_per_account_are_limited(
    client: PortalClient, family: dict[str, str]
) -> None:
    slot = slot_ids(client, "CARD-1201-AM")[0]
    for _ in range(3):
        assert book(client, slot, str(uuid4())).status_code == 404  # forged: still counted
    limited = book(client, slot, family["self"])
    assert limited.status_code == 429
    assert "Traceback" not in limited.text


@pytest.mark.parametrize("rules", [with_rules(requests_per_address_per_minute=2)], indirect=True)
def test_booking_requests_per_address_are_limited(
    client: PortalClient, family: dict[str, str]
) -> None:
    slot = slot_ids(client, "CARD-1201-AM")[0]
    appointment_id_of(book(client, slot, family["self"]))
    appointment_id_of(book(client, slot_ids(client, "ENDO-1201-AM")[0], family["self"]))
    assert book(client, slot, family["mother"]).status_code == 429


# -- forged ids --------------------------------------------------------------------------------------


def test_booking_for_another_familys_patient_is_404(
    client: PortalClient, family: dict[str, str]
) -> None:
    _account, strangers_patient = stranger(client, 7)
    response = book(client, slot_ids(client, "CARD-1201-AM")[0], strangers_patient)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "forged", ["not-a-uuid", "01a20e5a-b482-704e-8537-a7f6c08410c7", "..%2F..%2Fetc"]
)
def test_forged_slot_ids_are_404(client: PortalClient, family: dict[str, str], forged: str) -> None:
    assert book(client, forged, family["self"]).status_code == 404
    assert client.get(f"/booking/confirm?slot={forged}").status_code == 404


def test_another_familys_appointment_cannot_be_seen_or_cancelled(
    client: PortalClient, family: dict[str, str]
) -> None:
    theirs = stranger_books(client, slot_ids(client, "CARD-1201-AM")[0], 8)
    for path in ("", "/booked", "/cancel", "/calendar.ics"):
        assert client.get(f"/appointments/{theirs}{path}").status_code == 404
    assert client.submit(f"/appointments/{theirs}/cancel").status_code == 404


def test_the_database_backs_up_one_per_department_per_day(
    client: PortalClient, family: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests that both passed the check (two accounts sharing a patient, at the same
    moment): the unique index refuses the second, and the patient reads the rule, not an error."""
    from portal.booking import checks

    appointment_id_of(book(client, slot_ids(client, "CARD-1201-AM")[0], family["mother"]))

    async def passes(*_args: Any) -> None:
        return None

    monkeypatch.setattr(checks, "ensure_one_per_department_day", passes)
    second = book(client, slot_ids(client, "CARD2-1201-PM")[0], family["mother"])
    assert second.status_code == 400
    assert "王*英" in second.text

    async def places(db: Any) -> int:
        return int(await db.scalar(select(func.sum(Slot.booked))))

    assert client.db(places) == 1  # the place taken for the refused booking was given back
