"""Check-in by scan and the order patients are called in, at the edges of each rule."""

from __future__ import annotations

import re
from datetime import date

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
    tickets,
    todays_clinic,
)

OLD = ("王秀英", id_number(date(1944, 3, 15), 28))  # 82
YOUNG = ("李静", id_number(date(1976, 5, 12), 42))  # 50
MIDDLE = ("赵强", id_number(date(1970, 1, 2), 13))  # 56
LATE = ("钱芳", id_number(date(1980, 6, 6), 24))  # 46


@pytest.fixture
def clinic(client: PortalClient) -> PortalClient:
    todays_clinic(client)
    client.log_in("13700000001")
    add_patient(client, YOUNG[0], YOUNG[1], "self")
    for name, number in (OLD, MIDDLE, LATE):
        add_patient(client, name, number)
    return client


def ticket_number(page: str) -> str:
    match = re.search(r'class="ticket-number"[^>]*>([A-Z]\d{3})<', page)
    assert match, page
    return match.group(1)


def test_scanning_at_triage_checks_in_with_a_department_number(clinic: PortalClient) -> None:
    book(clinic, YOUNG[0], 4)  # 09:00
    as_nurse(clinic)
    page = scan_in(clinic, YOUNG[0]).text
    assert ticket_number(page) == "A001"
    assert "305 诊室" in page and "0" in page
    assert appointment_status(clinic) == "checked_in"


def test_scanning_twice_gives_the_same_ticket(clinic: PortalClient) -> None:
    book(clinic, YOUNG[0], 4)
    as_nurse(clinic)
    first = ticket_number(scan_in(clinic, YOUNG[0]).text)
    again = scan_in(clinic, YOUNG[0]).text
    assert ticket_number(again) == first and len(tickets(clinic)) == 1
    assert "Already checked in" in again or "已经签到" in again or "已签到" in again


def test_too_early_says_when_to_come_back(clinic: PortalClient) -> None:
    book(clinic, YOUNG[0], 13)  # 11:15: check-in opens at 10:15
    as_nurse(clinic)
    page = scan_in(clinic, YOUNG[0]).text
    assert "10:15" in page and not tickets(clinic)
    clinic.app.state.clock.advance(minutes=74)  # 10:14
    assert "10:15" in scan_in(clinic, YOUNG[0]).text
    clinic.app.state.clock.advance(minutes=1)  # 10:15
    assert ticket_number(scan_in(clinic, YOUNG[0]).text) == "A001"


def test_late_patients_join_after_those_on_time(clinic: PortalClient) -> None:
    book(clinic, LATE[0], 0)  # 08:00-08:15: at 09:00 this patient is late
    book(clinic, MIDDLE[0], 5)  # 09:15: on time
    as_nurse(clinic)
    late_page = scan_in(clinic, LATE[0]).text
    assert "after the patients who came on time" in late_page or "按时到达的患者之后" in late_page
    scan_in(clinic, MIDDLE[0])
    as_doctor(clinic)
    clinic.submit(f"/staff/console/{queue_id(clinic)}/next")
    called = [t for t in tickets(clinic) if t.status == "called"]
    assert len(called) == 1 and called[0].number == "A002"  # the on-time patient first


def test_patients_aged_80_and_over_go_first_and_the_desk_says_why(clinic: PortalClient) -> None:
    book(clinic, MIDDLE[0], 4)  # 09:00
    book(clinic, OLD[0], 6)  # 09:30, but 82
    as_nurse(clinic)
    scan_in(clinic, MIDDLE[0])
    old_page = scan_in(clinic, OLD[0]).text
    assert "80" in old_page and ("law" in old_page or "法" in old_page)
    as_doctor(clinic)
    clinic.submit(f"/staff/console/{queue_id(clinic)}/next")
    called = next(t for t in tickets(clinic) if t.status == "called")
    assert called.number == "A002"  # 王秀英, scanned second, called first


def test_a_missed_patient_who_checks_in_again_goes_to_the_back(clinic: PortalClient) -> None:
    for name, index in ((YOUNG[0], 4), (MIDDLE[0], 4), (LATE[0], 5)):
        book(clinic, name, index)
    as_nurse(clinic)
    for name in (YOUNG[0], MIDDLE[0], LATE[0]):
        scan_in(clinic, name)
    as_doctor(clinic)
    qid = queue_id(clinic)
    clinic.submit(f"/staff/console/{qid}/next")  # A001 李静
    first = next(t for t in tickets(clinic) if t.status == "called")
    clinic.submit(f"/staff/console/{qid}/missed", {"ticket": str(first.id)})
    as_nurse(clinic)
    back = scan_in(clinic, YOUNG[0]).text
    assert ticket_number(back) == "A001" and ("end of the queue" in back or "队尾" in back)
    as_doctor(clinic)
    order = []
    for _ in range(3):
        clinic.submit(f"/staff/console/{qid}/next")
        order.append(next(t.number for t in tickets(clinic) if t.status == "called"))
    assert order == ["A002", "A003", "A001"]


def test_calling_again_done_and_completing_the_appointment(clinic: PortalClient) -> None:
    book(clinic, YOUNG[0], 4)
    as_nurse(clinic)
    scan_in(clinic, YOUNG[0])
    as_doctor(clinic)
    qid = queue_id(clinic)
    panel = clinic.submit(f"/staff/console/{qid}/next", headers={"HX-Request": "true"}).text
    assert "A001" in panel and "<html" not in panel
    ticket = tickets(clinic)[0]
    clinic.submit(f"/staff/console/{qid}/again", {"ticket": str(ticket.id)})
    assert tickets(clinic)[0].call_count == 2
    clinic.submit(f"/staff/console/{qid}/done", {"ticket": str(ticket.id)})
    assert tickets(clinic)[0].status == "done"
    assert appointment_status(clinic) == "completed"


def test_no_appointment_today_is_said_plainly(clinic: PortalClient) -> None:
    as_nurse(clinic)
    page = scan_in(clinic, YOUNG[0]).text
    assert 'data-outcome="accepted"' in page and not tickets(clinic)
    assert "No appointment today" in page or "今天没有预约" in page


def test_a_pharmacist_cannot_call_patients_and_a_patient_cannot_open_the_console(
    clinic: PortalClient,
) -> None:
    from portal.core.touchpoints import Role, Touchpoint
    from tests.support.cards import make_staff, staff_login

    book(clinic, YOUNG[0], 4)
    as_nurse(clinic)
    scan_in(clinic, YOUNG[0])
    qid = queue_id(clinic)
    make_staff(clinic, "pharm", Role.PHARMACIST, [Touchpoint.PHARMACY])
    staff_login(clinic, "pharm")
    assert clinic.get("/staff/console").status_code == 403
    assert clinic.submit(f"/staff/console/{qid}/next").status_code == 403
    assert all(t.status == "waiting" for t in tickets(clinic))
    clinic.submit("/staff/logout")
    response = clinic.get(f"/staff/console/{qid}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_an_out_of_date_console_without_javascript_goes_back_to_the_console(
    clinic: PortalClient,
) -> None:
    """A doctor's screen showed nobody with him, but a colleague's click called A001 meanwhile:
    the plain form post is refused by the rule and lands back on the console, not on a 500."""
    book(clinic, YOUNG[0], 4)
    as_nurse(clinic)
    scan_in(clinic, YOUNG[0])
    as_doctor(clinic)
    qid = queue_id(clinic)
    clinic.submit(f"/staff/console/{qid}/next")  # A001 is called from another screen
    response = clinic.submit(f"/staff/console/{qid}/next", {"current": ""})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/console/{qid}"
