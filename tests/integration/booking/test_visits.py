"""The visit as booking records it, whoever scans the card: the check-in rules in one place
(``VisitService``, which the queue calls), completion, and missed appointments with their bills."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, update

from portal.booking.models import BOOKED, CHECKED_IN, COMPLETED, NO_SHOW, Appointment
from portal.booking.noshows import NoShowService
from portal.booking.visits import VisitService
from portal.core.clock import FrozenClock
from portal.core.errors import RuleError
from portal.core.i18n import use_locale
from portal.payments.models import PAID, UNPAID, VOID, Bill
from tests.conftest import SHANGHAI
from tests.integration.booking.conftest import appointment_id_of, book
from tests.support.booking import slot_ids
from tests.support.client import PortalClient


def at(clock: FrozenClock, month: int, day: int, hour: int, minute: int = 0) -> None:
    clock.at = datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def booked_tomorrow_at_eight(client: PortalClient, family: dict[str, str]) -> str:
    """李静's appointment on 25 November, 08:00–08:15 (the session runs until 09:00)."""
    return appointment_id_of(book(client, slot_ids(client, "CARD-1125-AM")[0], family["self"]))


def check_in(client: PortalClient, appointment: str) -> str:
    """What the queue does on a scan: mark the arrival in its own write transaction."""
    clock = client.app.state.clock

    async def work(db: Any) -> str:
        try:
            with use_locale("en"):
                done = await VisitService(db, clock=clock).mark_checked_in(
                    UUID(appointment), clock.now()
                )
            await db.commit()
        except RuleError as exc:
            await db.rollback()
            return f"refused: {exc.message}"
        return str(done.status)

    return client.db(work)


def visit_state(client: PortalClient) -> tuple[str, str]:
    async def work(db: Any) -> tuple[str, str]:
        return await db.scalar(select(Appointment.status)), await db.scalar(select(Bill.status))

    return client.db(work)


def record_no_shows(client: PortalClient) -> int:
    async def work(db: Any) -> int:
        return await NoShowService(db, clock=client.app.state.clock).record_no_shows()

    return client.db(work)


def test_check_in_is_on_the_day_of_the_appointment(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = booked_tomorrow_at_eight(client, family)
    assert check_in(client, appointment).startswith("refused: Check-in is on the day")
    at(clock, 11, 25, 7, 40)
    assert check_in(client, appointment) == CHECKED_IN
    assert visit_state(client) == (CHECKED_IN, UNPAID)


def test_scanning_twice_keeps_the_first_arrival(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = booked_tomorrow_at_eight(client, family)
    at(clock, 11, 25, 7, 40)
    assert check_in(client, appointment) == CHECKED_IN
    at(clock, 11, 25, 7, 50)
    assert check_in(client, appointment) == CHECKED_IN

    async def arrived(db: Any) -> datetime:
        return await db.scalar(select(Appointment.checked_in_at))

    assert clock.local(client.db(arrived)).strftime("%H:%M") == "07:40"


def test_a_missed_patient_who_comes_while_the_session_runs_owes_the_fee_again(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = booked_tomorrow_at_eight(client, family)
    at(clock, 11, 25, 8, 20)  # the slot ended at 08:15
    assert record_no_shows(client) == 1
    assert visit_state(client) == (NO_SHOW, VOID)
    assert check_in(client, appointment) == CHECKED_IN
    assert visit_state(client) == (CHECKED_IN, UNPAID)


def test_a_missed_patient_who_comes_after_the_session_is_sent_to_the_desk(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = booked_tomorrow_at_eight(client, family)
    at(clock, 11, 25, 9, 0)  # the session ran 08:00–09:00
    assert record_no_shows(client) == 1
    assert check_in(client, appointment).startswith("refused: This session is over")
    assert visit_state(client) == (NO_SHOW, VOID)


def test_a_cancelled_appointment_cannot_be_checked_in(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    appointment = booked_tomorrow_at_eight(client, family)
    assert client.submit(f"/appointments/{appointment}/cancel").status_code == 303
    at(clock, 11, 25, 7, 40)
    assert check_in(client, appointment).startswith("refused: This appointment is not waiting")
    assert visit_state(client) == ("cancelled", VOID)


@pytest.mark.parametrize("checked_in", [True, False])
def test_only_a_checked_in_visit_is_completed(
    client: PortalClient, family: dict[str, str], clock: FrozenClock, checked_in: bool
) -> None:
    appointment = booked_tomorrow_at_eight(client, family)
    at(clock, 11, 25, 7, 40)
    if checked_in:
        check_in(client, appointment)

    async def complete(db: Any) -> bool:
        done = await VisitService(db, clock=clock).mark_completed(UUID(appointment))
        await db.commit()
        return done

    assert client.db(complete) is checked_in
    assert visit_state(client)[0] == (COMPLETED if checked_in else BOOKED)


def test_a_paid_bill_stays_paid_when_the_appointment_is_missed(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    booked_tomorrow_at_eight(client, family)

    async def pay(db: Any) -> None:
        await db.execute(update(Bill).values(status=PAID))
        await db.commit()

    client.db(pay)
    at(clock, 11, 25, 8, 20)
    assert record_no_shows(client) == 1
    assert visit_state(client) == (NO_SHOW, PAID)


def test_the_no_show_sweep_voids_only_the_bills_of_appointments_it_marked(
    client: PortalClient,
    family: dict[str, str],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The patient checks in between the sweep's look-up and its update (another transaction,
    committed first on PostgreSQL): the appointment is not missed, and its bill stays due."""
    appointment = booked_tomorrow_at_eight(client, family)
    at(clock, 11, 25, 8, 20)
    looked_up = NoShowService.record_no_shows

    async def arrival_in_between(service: NoShowService, now: Any = None) -> int:
        session = service.session
        original = session.scalars
        calls = 0

        async def scalars(statement: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            result = await original(statement, *args, **kwargs)
            calls += 1
            if calls == 1:  # right after the look-up found the appointment
                await session.execute(
                    update(Appointment)
                    .where(Appointment.id == UUID(appointment))
                    .values(status=CHECKED_IN)
                )
            return result

        monkeypatch.setattr(session, "scalars", scalars)
        return await looked_up(service, now)

    monkeypatch.setattr(NoShowService, "record_no_shows", arrival_in_between)
    assert record_no_shows(client) == 0
    assert visit_state(client) == (CHECKED_IN, UNPAID)
