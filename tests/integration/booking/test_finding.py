"""Finding a doctor: departments, search by name or illness, doctors seen before, day buttons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from portal.booking.models import Appointment, Department, Doctor
from portal.core.clock import FrozenClock
from tests.integration.booking.conftest import appointment_id_of, book
from tests.support.booking import slot_ids
from tests.support.client import PortalClient


def department_id(client: PortalClient, code: str) -> str:
    async def work(db: Any) -> str:
        return str(await db.scalar(select(Department.id).where(Department.code == code)))

    return client.db(work)


def doctor_id(client: PortalClient, code: str) -> str:
    async def work(db: Any) -> str:
        return str(await db.scalar(select(Doctor.id).where(Doctor.code == code)))

    return client.db(work)


def test_the_booking_page_lists_every_department(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    page = client.get("/booking")
    assert page.status_code == 200
    assert "心血管内科" in page.text and "内分泌科" in page.text
    assert f"/booking/departments/{department_id(client, 'CARD')}" in page.text


def test_english_shows_the_departments_english_names(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    client.cookies.set("ymt_lang", "en")
    page = client.get("/booking")
    assert "Cardiology" in page.text and "Endocrinology" in page.text


def test_an_illness_finds_the_doctors_who_treat_it(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    page = client.get("/booking/search", params={"q": "高血压"})
    assert page.status_code == 200
    assert "张伟" in page.text  # cardiology: 高血压 is one of its keywords and his specialty
    assert "黄海燕" not in page.text
    diabetes = client.get("/booking/search", params={"q": "糖尿病"})
    assert "黄海燕" in diabetes.text and "张伟" not in diabetes.text


def test_a_doctors_name_finds_the_doctor(client: PortalClient, timetable: dict[str, Any]) -> None:
    page = client.get("/booking/search", params={"q": "刘建华"})
    assert f"/booking/doctors/{doctor_id(client, 'D2')}" in page.text


def test_search_treats_wildcards_as_text_and_says_when_nothing_is_found(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    page = client.get("/booking/search", params={"q": "%"})
    assert page.status_code == 200
    assert "张伟" not in page.text
    assert "%" in page.text


def test_htmx_search_answers_with_the_results_fragment(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    response = client.get(
        "/booking/search",
        params={"q": "张伟"},
        headers={"hx-request": "true", "hx-target": "search-results"},
    )
    assert "<html" not in response.text and "张伟" in response.text
    boosted = client.get(
        "/booking/search",
        params={"q": "张伟"},
        headers={"hx-request": "true", "hx-boosted": "true", "hx-target": "search-results"},
    )
    assert "<html" in boosted.text  # a boosted link loads the whole page


def test_day_buttons_name_the_weekday_today_tomorrow_and_places_left(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    client.cookies.set("ymt_lang", "en")
    page = client.get(f"/booking/departments/{department_id(client, 'CARD')}").text
    assert "Today" in page and "Tomorrow" in page
    assert "16 places left" in page  # 1 December: two sessions of four slots of two places
    assert "No clinic" in page
    assert "Opens" in page and "07:30" in page  # 2 December opens tomorrow at 07:30


def test_places_left_are_said_in_words_in_chinese(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    page = client.get(
        f"/booking/departments/{department_id(client, 'CARD')}", params={"day": "2026-12-01"}
    ).text
    assert "还剩 8 个号" in page  # each session
    assert 'aria-current="date"' in page


def test_the_day_fragment_answers_htmx(client: PortalClient, timetable: dict[str, Any]) -> None:
    response = client.get(
        f"/booking/departments/{department_id(client, 'CARD')}",
        params={"day": "2026-12-01"},
        headers={"hx-request": "true", "hx-target": "day-panel"},
    )
    assert response.text.lstrip().startswith('<div id="day-panel"')


def test_doctors_seen_before_are_offered_first(
    client: PortalClient, family: dict[str, str], clock: FrozenClock
) -> None:
    seen = appointment_id_of(book(client, slot_ids(client, "CARD-1125-AM")[0], family["mother"]))

    async def visited(db: Any) -> None:
        await db.execute(
            update(Appointment).where(Appointment.id == seen).values(status="completed")
        )
        await db.commit()

    client.db(visited)
    clock.advance(days=2)
    page = client.get("/booking").text
    assert 'id="seen-title"' in page
    seen_part = page.split('id="seen-title"')[1].split('id="departments-title"')[0]
    assert "张伟" in seen_part and "王*英" in seen_part


def test_unknown_or_forged_ids_are_404(client: PortalClient, timetable: dict[str, Any]) -> None:
    for path in (
        "/booking/departments/nope",
        "/booking/departments/01a20e5a-b482-704e-8537-a7f6c08410c7",
        "/booking/doctors/1",
        "/booking/sessions/01a20e5a-b482-704e-8537-a7f6c08410c7",
    ):
        assert client.get(path).status_code == 404, path


def test_every_booking_page_works_without_login(
    client: PortalClient, timetable: dict[str, Any]
) -> None:
    from tests.support.booking import schedule_id

    for path in (
        "/booking",
        f"/booking/departments/{department_id(client, 'CARD')}",
        f"/booking/doctors/{doctor_id(client, 'D1')}",
        f"/booking/sessions/{schedule_id(client, 'CARD-1201-AM')}",
    ):
        assert client.get(path).status_code == 200, path
