"""A doctor runs only the queues of their own sessions today, and those a nurse or an
administrator asked them to cover for the day; other doctors get a plain 403 page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.touchpoints import Role, Touchpoint
from tests.support.booking import import_timetable, session, standard_timetable
from tests.support.cards import make_staff, staff_login
from tests.support.client import PortalClient
from tests.support.people import id_number
from tests.support.queue import (
    TODAY,
    add_patient,
    as_doctor,
    as_nurse,
    book,
    queue_id,
    scan_in,
    staff_id,
    tickets,
)

ZHANG = "CARD-TODAY"  # Dr 张伟 (D1), room 305
LIU = "CARD-LIU"  # Dr 刘建华 (D2), room 306
PEOPLE = [("李静", id_number(date(1976, 5, 12), 42)), ("赵强", id_number(date(1970, 1, 2), 13))]


@pytest.fixture
def two_rooms(client: PortalClient) -> PortalClient:
    """This morning 张伟 sees patients in 305 and 刘建华 in 306; one patient waits in each."""
    client.cookies.set("ymt_lang", "en")
    response = import_timetable(
        client,
        standard_timetable(
            zhang=session(ZHANG, "D1", TODAY, start="08:00", end="12:00", places=5),
            liu=session(LIU, "D2", TODAY, start="08:00", end="12:00", places=5, room="306 诊室"),
        ),
    )
    assert response.status_code in (200, 201), response.text
    client.log_in("13700000001")
    add_patient(client, *PEOPLE[0], relationship="self")
    add_patient(client, *PEOPLE[1])
    book(client, PEOPLE[0][0], 4, ZHANG)
    book(client, PEOPLE[1][0], 4, LIU)
    as_nurse(client)
    for name, _number in PEOPLE:
        scan_in(client, name)
    return client


def called_in(client: PortalClient, queue: str) -> list[str]:
    return [t.number for t in tickets(client) if t.status == "called" and str(t.queue_id) == queue]


def test_a_doctor_runs_only_the_queues_of_his_own_sessions_today(two_rooms: PortalClient) -> None:
    mine, theirs = queue_id(two_rooms, ZHANG), queue_id(two_rooms, LIU)
    as_doctor(two_rooms)  # 张伟, D1
    rooms = two_rooms.get("/staff/console").text
    assert f"/staff/console/{mine}" in rooms and f"/staff/console/{theirs}" not in rooms

    page = two_rooms.get(f"/staff/console/{theirs}")
    assert page.status_code == 403
    assert "belongs to another doctor" in page.text and "ask a nurse" in page.text
    assert "赵*" not in page.text  # nothing of the other room's patients
    refused = two_rooms.submit(f"/staff/console/{theirs}/next")
    assert refused.status_code == 403 and not called_in(two_rooms, theirs)
    ticket = next(t for t in tickets(two_rooms) if str(t.queue_id) == theirs)
    for action in ("again", "missed", "done"):
        response = two_rooms.submit(f"/staff/console/{theirs}/{action}", {"ticket": str(ticket.id)})
        assert response.status_code == 403, action
    assert all(t.status == "waiting" for t in tickets(two_rooms) if str(t.queue_id) == theirs)

    assert two_rooms.get(f"/staff/console/{mine}").status_code == 200
    two_rooms.submit(f"/staff/console/{mine}/next")
    assert called_in(two_rooms, mine) == ["A001"]


def test_the_refusal_is_in_the_desk_s_language_and_replaces_the_page_under_htmx(
    two_rooms: PortalClient,
) -> None:
    theirs = queue_id(two_rooms, LIU)
    as_doctor(two_rooms)
    switched = two_rooms.submit("/settings/language", {"locale": "zh_Hans", "next": "/staff"})
    assert switched.status_code == 303  # the header's language switch
    page = two_rooms.get(f"/staff/console/{theirs}")
    assert page.status_code == 403
    assert "另一位医生的出诊" in page.text and "护士" in page.text
    assert 'href="/staff/console"' in page.text  # back to the rooms that are his
    panel = two_rooms.submit(f"/staff/console/{theirs}/next", headers={"HX-Request": "true"})
    assert panel.status_code == 403 and panel.headers["hx-retarget"] == "body"


def test_a_nurse_asks_a_doctor_to_cover_a_room_for_the_day(two_rooms: PortalClient) -> None:
    mine, theirs = queue_id(two_rooms, ZHANG), queue_id(two_rooms, LIU)
    as_doctor(two_rooms)
    zhang = staff_id(two_rooms, "doctor")

    as_nurse(two_rooms)
    form = two_rooms.get("/staff/cover")
    assert form.status_code == 200
    assert f'value="{theirs}"' in form.text and f'value="{zhang}"' in form.text
    response = two_rooms.submit("/staff/cover", {"queue": theirs, "doctor": zhang})
    assert response.status_code == 303
    listed = two_rooms.get("/staff/cover").text
    assert 'data-cover="doctor"' in listed and "306 诊室" in listed

    async def covers(db: Any) -> list[AuditEvent]:
        return list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "queue.cover")))

    (event,) = two_rooms.db(covers)
    assert "nurse" in event.actor_name and "306 诊室" in (event.detail or "")

    as_doctor(two_rooms)
    rooms = two_rooms.get("/staff/console").text
    assert rooms.index(f"/staff/console/{mine}") < rooms.index(f"/staff/console/{theirs}")
    assert two_rooms.get(f"/staff/console/{theirs}").status_code == 200
    two_rooms.submit(f"/staff/console/{theirs}/next")
    assert called_in(two_rooms, theirs) == ["A002"]

    # The cover ends with the day, and so does his own yesterday's room.
    two_rooms.app.state.clock.advance(days=1)
    assert two_rooms.get(f"/staff/console/{theirs}").status_code == 403
    assert two_rooms.get(f"/staff/console/{mine}").status_code == 403
    assert f"/staff/console/{theirs}" not in two_rooms.get("/staff/console").text


def test_ending_a_cover_takes_the_room_back(two_rooms: PortalClient) -> None:
    theirs = queue_id(two_rooms, LIU)
    as_doctor(two_rooms)
    zhang = staff_id(two_rooms, "doctor")
    make_staff(two_rooms, "boss", Role.ADMIN, [])
    staff_login(two_rooms, "boss")
    assert two_rooms.submit("/staff/cover", {"queue": theirs, "doctor": zhang}).status_code == 303

    async def cover_id(db: Any) -> str:
        from portal.queue.models import QueueCover

        return str(await db.scalar(select(QueueCover.id)))

    assert two_rooms.submit(f"/staff/cover/{two_rooms.db(cover_id)}/end").status_code == 303
    assert "data-cover=" not in two_rooms.get("/staff/cover").text
    as_doctor(two_rooms)
    assert two_rooms.get(f"/staff/console/{theirs}").status_code == 403


def test_the_cover_form_says_what_is_missing(two_rooms: PortalClient) -> None:
    make_staff(two_rooms, "zhang", Role.DOCTOR, [Touchpoint.CLINIC], "D1")
    as_nurse(two_rooms)
    response = two_rooms.submit("/staff/cover", {"queue": "", "doctor": ""})
    assert response.status_code == 400 and "Please choose one of today" in response.text
    make_staff(two_rooms, "pharm", Role.PHARMACIST, [Touchpoint.PHARMACY])
    response = two_rooms.submit(
        "/staff/cover", {"queue": queue_id(two_rooms, LIU), "doctor": staff_id(two_rooms, "pharm")}
    )
    assert response.status_code == 400 and "Please choose a doctor" in response.text


def test_only_nurses_and_administrators_assign_cover(two_rooms: PortalClient) -> None:
    theirs = queue_id(two_rooms, LIU)
    as_doctor(two_rooms)
    zhang = staff_id(two_rooms, "doctor")
    assert two_rooms.get("/staff/cover").status_code == 403
    assert two_rooms.submit("/staff/cover", {"queue": theirs, "doctor": zhang}).status_code == 403
    assert two_rooms.get(f"/staff/console/{theirs}").status_code == 403
    make_staff(two_rooms, "pharm", Role.PHARMACIST, [Touchpoint.PHARMACY])
    staff_login(two_rooms, "pharm")
    assert two_rooms.get("/staff/cover").status_code == 403


def test_an_administrator_runs_every_room(two_rooms: PortalClient) -> None:
    mine, theirs = queue_id(two_rooms, ZHANG), queue_id(two_rooms, LIU)
    make_staff(two_rooms, "boss", Role.ADMIN, [])
    staff_login(two_rooms, "boss")
    rooms = two_rooms.get("/staff/console").text
    assert f"/staff/console/{mine}" in rooms and f"/staff/console/{theirs}" in rooms
    two_rooms.submit(f"/staff/console/{theirs}/next")
    assert called_in(two_rooms, theirs) == ["A002"]


def test_a_doctor_without_a_timetable_code_runs_nothing_until_asked_to_cover(
    two_rooms: PortalClient,
) -> None:
    make_staff(two_rooms, "locum", Role.DOCTOR, [Touchpoint.CLINIC])
    staff_login(two_rooms, "locum")
    rooms = two_rooms.get("/staff/console")
    assert rooms.status_code == 200 and "/staff/console/" not in rooms.text
    assert "None of your rooms" in rooms.text
    assert two_rooms.get(f"/staff/console/{queue_id(two_rooms, ZHANG)}").status_code == 403
