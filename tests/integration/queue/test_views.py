"""What patients, families, boards and the public see of a queue."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests.support.client import PortalClient
from tests.support.people import id_number
from tests.support.queue import (
    add_patient,
    appointment_status,
    as_doctor,
    as_nurse,
    book,
    queue_id,
    scan_in,
    todays_clinic,
)
from tests.support.statements import Asked

PEOPLE = [
    ("李静", id_number(date(1976, 5, 12), 42)),
    ("赵强", id_number(date(1970, 1, 2), 13)),
    ("钱芳", id_number(date(1980, 6, 6), 24)),
    ("孙丽", id_number(date(1975, 2, 3), 26)),
]


@pytest.fixture
def day(client: PortalClient) -> PortalClient:
    todays_clinic(client)
    client.log_in("13700000001")
    add_patient(client, *PEOPLE[0], relationship="self")
    for person in PEOPLE[1:]:
        add_patient(client, *person)
    for index, (name, _number) in enumerate(PEOPLE):
        book(client, name, 4 + index)
    as_nurse(client)
    for name, _number in PEOPLE:
        scan_in(client, name)
    return client


def test_the_phone_shows_people_ahead_and_an_estimate(day: PortalClient) -> None:
    page = day.get("/queue").text
    assert "A004" in page
    assert re.search(r"3 people ahead of you|前面还有 3 人", page)
    assert re.search(r"About 18 minutes|大约 18 分钟", page)  # 3 ahead × 6-minute default
    assert "305 诊室" in page


def test_the_phone_says_it_is_almost_time_then_your_turn(day: PortalClient) -> None:
    as_doctor(day)
    qid = queue_id(day)
    day.submit(f"/staff/console/{qid}/next")  # A001 called; A004 has 2 ahead
    page = day.get("/queue").text
    assert re.search(r'data-state="near"', page)
    for _ in range(3):
        day.submit(f"/staff/console/{qid}/next")
    page = day.get("/queue").text
    assert 'data-state="called"' in page and ("It is your turn" in page or "轮到您了" in page)


def test_the_estimate_learns_from_finished_visits(day: PortalClient) -> None:
    as_doctor(day)
    qid = queue_id(day)
    clock = day.app.state.clock
    day.submit(f"/staff/console/{qid}/next")
    clock.advance(minutes=10)
    day.submit(f"/staff/console/{qid}/next")  # A001 took 10 minutes; A002 is with the doctor
    page = day.get("/queue").text
    assert re.search(
        r"About 20 minutes|大约 20 分钟", page
    )  # A004: A002 and A003 first, 10 minutes each


def test_status_polling_answers_304_until_something_changes(day: PortalClient) -> None:
    first = day.get("/queue/status", headers={"HX-Request": "true"})
    etag = first.headers["etag"]
    same = day.get("/queue/status", headers={"HX-Request": "true", "If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    as_doctor(day)
    day.submit(f"/staff/console/{queue_id(day)}/next")
    changed = day.get("/queue/status", headers={"HX-Request": "true", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_status_polling_without_a_login_is_refused_like_any_patient_page(
    day: PortalClient,
) -> None:
    day.submit("/staff/logout")
    day.submit("/logout")
    for headers in ({}, {"HX-Request": "true"}):
        status = day.get("/queue/status", headers=headers, follow_redirects=False)
        page = day.get("/queue", headers=headers, follow_redirects=False)
        assert status.status_code == page.status_code and status.status_code in (204, 303)
        for name in ("location", "hx-redirect"):
            assert status.headers.get(name) == (
                page.headers[name].replace("/queue", "/queue/status")
                if name in page.headers
                else None
            )
        assert "etag" not in status.headers
        assert "A00" not in status.text  # no ticket of anyone's


def test_a_family_member_on_another_account_follows_the_same_ticket(
    day: PortalClient, clock: Any
) -> None:
    day.submit("/staff/logout")
    day.submit("/logout")
    day.log_in("13700000002")
    asked = day.add_member(
        name=PEOPLE[1][0], id_number=PEOPLE[1][1], phone="13911110000", relationship="parent"
    )
    day.join_with_consent("13911110000", asked)  # the same person, added by a son on his own phone
    page = day.get("/queue").text
    assert "A002" in page and "A001" not in page


def test_the_board_shows_the_call_masked_and_public(day: PortalClient) -> None:
    as_doctor(day)
    qid = queue_id(day)
    day.submit(f"/staff/console/{qid}/next")
    day.submit(f"/staff/console/{qid}/next")
    board = day.get(f"/board/{qid}")
    assert board.status_code == 200
    assert "A002" in board.text and "赵*" in board.text and "赵强" not in board.text
    assert "A001" in board.text and "A003" in board.text  # called before, and next
    assert 'data-events="/board/' in board.text
    assert day.get("/board/not-a-queue").status_code == 404


def test_the_waiting_page_is_public_and_counts_each_department(day: PortalClient) -> None:
    day.submit("/logout")
    page = day.get("/waiting")
    assert page.status_code == 200
    assert "心血管内科" in page.text and re.search(r"4 waiting|4 人候诊", page.text)
    panel = day.get("/waiting/panel")
    again = day.get("/waiting/panel", headers={"If-None-Match": panel.headers["etag"]})
    assert again.status_code == 304


def test_a_no_show_is_recorded_at_the_end_of_the_slot_and_a_late_arrival_undoes_it(
    client: PortalClient,
) -> None:
    from portal.booking.noshows import NoShowService

    todays_clinic(client)
    client.log_in("13700000001")
    add_patient(client, *PEOPLE[0], relationship="self")
    book(client, PEOPLE[0][0], 0)  # 08:00-08:15, and it is 09:00 already

    async def record(db: Any) -> int:
        return await NoShowService(db, clock=client.app.state.clock).record_no_shows()

    assert client.db(record) == 1 and appointment_status(client) == "no_show"
    as_nurse(client)
    page = scan_in(client, PEOPLE[0][0]).text
    assert "A001" in page and appointment_status(client) == "checked_in"


@pytest.mark.parametrize(
    ("paths", "before", "after"),
    [
        (
            ["/queue"],
            r"3 people ahead of you|前面还有 3 人",
            r"2 people ahead of you|前面还有 2 人",
        ),
        (["/waiting", "/waiting/panel"], r"4 waiting|4 人候诊", r"3 waiting|3 人候诊"),
    ],
    ids=["phone", "waiting-room"],
)
def test_a_page_is_kept_until_the_line_moves(
    day: PortalClient, paths: list[str], before: str, after: str
) -> None:
    """A second look at an unchanged line asks the database nothing; a call shows at once."""
    assert re.search(before, day.get(paths[0]).text)
    with Asked(day) as asked:
        assert re.search(before, day.get(paths[0]).text)
    assert asked == []
    as_doctor(day)
    day.submit(f"/staff/console/{queue_id(day)}/next")
    for path in paths:
        assert re.search(after, day.get(path).text), path


def test_a_kept_reading_is_never_answered_for_another_version(day: PortalClient) -> None:
    """An answer sent with an ETag keeps its reading under the version the tag was made from.
    Here the line moves by a write the process's generations do not see (a plain connection,
    as in the moment between a commit and its generations moving on): the old version still
    gets its kept reading, a new version is read afresh."""
    from sqlalchemy import select, update

    from portal.accounts.models import AccountPatient, Patient
    from portal.db.generations import ReadCache
    from portal.queue.models import CALLED, Ticket
    from portal.queue.services import QueueViews

    state = day.app.state
    cache = ReadCache(enabled=True)

    def ahead(version: str) -> list[int]:
        async def work(db: Any) -> list[int]:
            account = await db.scalar(
                select(AccountPatient.account_id)
                .join(Patient, Patient.id == AccountPatient.patient_id)
                .where(Patient.name == PEOPLE[0][0])
            )
            views = QueueViews(db, settings=state.settings.queue, clock=state.clock, cache=cache)
            return sorted(status.ahead for status in await views.tickets_on_page(account, version))

        return list(day.db(work))

    assert ahead("v1") == [0, 1, 2, 3]

    async def call_first() -> None:
        engine = state.db_sessions.kw["bind"]
        async with engine.begin() as connection:
            first = select(Ticket.id).order_by(Ticket.number).limit(1).scalar_subquery()
            await connection.execute(update(Ticket).where(Ticket.id == first).values(status=CALLED))

    day.blocking_portal.call(call_first)
    assert ahead("v1") == [0, 1, 2, 3]  # what was kept for v1
    assert ahead("v2") == [0, 0, 1, 2]  # the called ticket has none ahead; the rest one fewer
