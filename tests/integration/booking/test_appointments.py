"""My appointments: upcoming and past per family member, detail, cancel explained, .ics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from portal.booking.models import Appointment
from portal.core.clock import FrozenClock
from tests.integration.booking.conftest import appointment_id_of, book
from tests.support.booking import slot_ids
from tests.support.client import PortalClient


def test_upcoming_and_past_for_everyone_and_per_family_member(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    mine = appointment_id_of(book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"]))
    hers = appointment_id_of(book(client, slot_ids(client, "ENDO-1201-AM")[0], family["mother"]))
    seen = appointment_id_of(book(client, slot_ids(client, "CARD-1125-AM")[0], family["mother"]))

    async def visited(db: Any) -> None:
        await db.execute(
            update(Appointment).where(Appointment.id == seen).values(status="completed")
        )
        await db.commit()

    client.db(visited)
    clock.advance(days=1, hours=3)  # 25 November, noon: the visit is in the past
    page = client.get("/appointments").text
    upcoming, past = page.split('id="upcoming-title"')[1].split('id="past-title"')
    assert mine in upcoming and hers in upcoming and seen not in upcoming
    assert seen in past
    only_mother = client.get(f"/appointments?patient={family['mother']}").text
    assert hers in only_mother and seen in only_mother and mine not in only_mother
    assert 'aria-current="page"' in only_mother


def test_the_member_filter_answers_htmx_with_the_lists_only(
    client: PortalClient, family: dict[str, str]
) -> None:
    response = client.get(
        f"/appointments?patient={family['mother']}",
        headers={"hx-request": "true", "hx-target": "appointment-lists"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="appointment-lists">')
    assert "<html" not in response.text


def test_another_familys_patient_filter_is_404(
    client: PortalClient, family: dict[str, str]
) -> None:
    from tests.integration.booking.conftest import stranger

    _account, theirs = stranger(client, 21)
    assert client.get(f"/appointments?patient={theirs}").status_code == 404


def test_detail_shows_the_bill_and_how_to_cancel(
    client: PortalClient, family: dict[str, str]
) -> None:
    appointment = appointment_id_of(
        book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"])
    )
    page = client.get(f"/appointments/{appointment}")
    assert page.status_code == 200
    assert "¥50.00" in page.text
    assert f"/appointments/{appointment}/cancel" in page.text
    assert "06:00" in page.text  # cancel online until two hours before 08:00


def test_the_cancel_page_explains_the_cutoff_and_asks_once(
    client: PortalClient, family: dict[str, str]
) -> None:
    appointment = appointment_id_of(
        book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"])
    )
    page = client.get(f"/appointments/{appointment}/cancel")
    assert f'action="/appointments/{appointment}/cancel"' in page.text
    assert "06:00" in page.text
    done = client.submit(f"/appointments/{appointment}/cancel")
    assert done.headers["location"] == f"/appointments/{appointment}?cancelled=1"
    again = client.submit(f"/appointments/{appointment}/cancel")
    assert again.status_code == 400


def test_the_calendar_file_describes_the_visit(
    client: PortalClient, family: dict[str, str]
) -> None:
    appointment = appointment_id_of(
        book(client, slot_ids(client, "CARD-1201-AM")[0], family["self"])
    )
    response = client.get(f"/appointments/{appointment}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.text
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert "DTSTART:20261201T000000Z" in body  # 08:00 in Shanghai
    assert "DTEND:20261201T001500Z" in body
    assert f"UID:{appointment}@yimatong" in body
    assert "张伟" in body and "BEGIN:VALARM" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
