"""Booking in a real Chromium: the elder-mode path from the home page to a confirmed booking in
at most five taps (each a large target), and every booking page clean under axe-core and the
elder-mode numbers, in both modes."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Locator, Page, expect

from harness.server import LiveServer
from tests.support.browser import add_member, audit_page, login, set_preferences
from tests.support.people import id_number

ELDER_TARGET_PX = 60


def someone(phone: str, name: str, relationship: str, born_year: int) -> dict[str, str]:
    """A family member of this test alone (a fresh ID number: no other test shares the patient)."""
    seed = int(phone[-6:])
    born = date(born_year, 1 + seed % 12, 1 + seed % 28)
    return {
        "name": name,
        "id_number": id_number(born, 100 + seed % 800),
        "phone": phone,
        "relationship": relationship,
    }


class Taps:
    """Counts the taps a patient makes, and checks each one lands on a large target."""

    def __init__(self, page: Page, minimum: int) -> None:
        self.page = page
        self.minimum = minimum
        self.made: list[str] = []

    def tap(self, target: Locator) -> None:
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        assert box is not None
        label = target.inner_text().strip().replace("\n", " ")
        assert box["width"] >= self.minimum and box["height"] >= self.minimum, (label, box)
        self.made.append(label)
        target.click()


def test_an_elder_books_from_the_home_page_in_five_taps(
    page: Page, live_server: LiveServer, new_phone: str, artifacts: Path
) -> None:
    set_preferences(page, live_server.url, mode="elder")
    login(page, new_phone)
    add_member(page, someone(new_phone, "李静", "self", 1976))
    page.goto("/")
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    taps = Taps(page, ELDER_TARGET_PX)

    taps.tap(page.locator("a.tile[href='/booking']"))
    page.wait_for_url("**/booking")
    taps.tap(page.locator("a.department-button").first)  # 心血管内科
    page.wait_for_url("**/booking/departments/**")
    chosen = page.locator("a.day-button.chosen").inner_text()
    taps.tap(page.locator("a.day-button.free:not(.chosen)").first)  # another day with places
    expect(page.locator("a.day-button.chosen")).not_to_have_text(chosen)
    taps.tap(page.locator("a.book-first").first)
    page.wait_for_url("**/booking/confirm?slot=*")
    page.screenshot(path=str(artifacts / "booking_confirm_elder_zh.png"), full_page=True)
    taps.tap(page.locator("form[action='/booking/appointments'] button[type=submit]"))
    page.wait_for_url("**/appointments/*/booked")

    assert len(taps.made) <= 5, taps.made
    expect(page.locator("h1")).to_contain_text("预约成功")
    page.screenshot(path=str(artifacts / "booking_booked_elder_zh.png"), full_page=True)


def full_slot(database_url: str) -> tuple[str, str]:
    """A time slot of a session with no place left, and that session (the demo has a few)."""
    path = database_url.split("///", 1)[1]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT id, schedule_id FROM slot WHERE starts_at > ? AND schedule_id IN ("
            " SELECT schedule_id FROM slot GROUP BY schedule_id HAVING SUM(capacity - booked) = 0"
            ") ORDER BY starts_at",
            (now,),
        ).fetchone()
    assert row, "the demo seed has full sessions"
    slot, session = (
        str(uuid.UUID(bytes=v) if isinstance(v, bytes) else uuid.UUID(str(v))) for v in row
    )
    return slot, session


def cancellable_slot(database_url: str) -> str:
    """A free time slot already released and still far enough ahead to be cancelled
    (the first slot on a department's page may be this morning's, past the cut-off)."""
    path = database_url.split("///", 1)[1]
    now = datetime.now(UTC)
    window = [(now + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S") for hours in (4, 120)]
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT id FROM slot WHERE starts_at > ? AND starts_at < ? AND booked < capacity"
            " ORDER BY starts_at",
            window,
        ).fetchone()
    assert row, "the demo seed has free places in the coming days"
    value = row[0]
    return str(uuid.UUID(bytes=value) if isinstance(value, bytes) else uuid.UUID(str(value)))


def switch_mode(page: Page) -> None:
    page.goto("/booking")
    page.locator("form[action='/settings/mode'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def walk_booking_pages(page: Page, database_url: str, waiter: int) -> list[str]:
    """Every booking page, in the mode the page is in now; returns the audit problems.
    ``waiter`` is which family member joins the waiting list (once per session each)."""
    problems: list[str] = []

    def visit(path: str) -> None:
        page.goto(path)
        problems.extend(audit_page(page))

    visit("/booking")
    visit("/booking/search?q=高血压")
    department = page.locator("a.department-button").first.get_attribute("href")
    assert department
    visit(department)
    doctor = page.locator(".session-doctor a").first.get_attribute("href")
    session = page.locator("a.button.secondary[href^='/booking/sessions/']").first.get_attribute(
        "href"
    )
    assert doctor and session
    visit(doctor)
    visit(session)
    confirm = page.locator("a.slot-button").first.get_attribute("href")
    assert confirm
    visit(confirm)
    # A full time: the full page with the nearest free times and the waiting list.
    full, full_session = full_slot(database_url)
    visit(f"/booking/sessions/{full_session}")
    visit(f"/booking/confirm?slot={full}")
    waitlist = page.locator("form[action='/booking/waitlist']")
    expect(waitlist).to_be_visible()
    waitlist.locator("input[name=patient]").nth(waiter).check()
    waitlist.locator("button[type=submit]").click()
    page.wait_for_url("**/appointments?joined=1")
    problems.extend(audit_page(page))
    # Book (a time still before its cancellation cut-off), then the result, the list, the
    # detail and the cancel pages.
    page.goto(f"/booking/confirm?slot={cancellable_slot(database_url)}")
    page.locator("form[action='/booking/appointments'] button[type=submit]").click()
    page.wait_for_url("**/appointments/*/booked")
    problems.extend(audit_page(page))
    booked = urlparse(page.url).path.rsplit("/", 1)[0]  # /appointments/<id>
    visit("/appointments")
    visit(booked)
    visit(f"{booked}/cancel")
    page.locator(f"form[action='{booked}/cancel'] button[type=submit]").click()
    page.wait_for_url("**/appointments/*?cancelled=1")
    problems.extend(audit_page(page))
    return problems


def test_every_booking_page_is_clean_in_both_modes(
    page: Page, live_server: LiveServer, new_phone: str
) -> None:
    login(page, new_phone)
    add_member(page, someone(new_phone, "李静", "self", 1975))
    add_member(page, someone(new_phone, "王秀英", "parent", 1944))
    problems = walk_booking_pages(page, live_server.database_url, waiter=1)
    switch_mode(page)
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    problems += walk_booking_pages(page, live_server.database_url, waiter=0)
    assert problems == [], "\n".join(problems)
