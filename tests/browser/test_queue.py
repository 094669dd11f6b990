"""The queue in a real Chromium, the whole day in one go: an 82-year-old books in elder mode,
shows her e-card, the nurse's scanner types the decoded code into the triage station, her phone
(never reloaded) shows the ticket, the doctor calls next, and within 15 s her phone says it is her
turn while the waiting-room board shows the number within 3 s. Also: the phone's polls really
are revalidated (304), a board whose stream dropped catches up, and every queue page passes axe
and the mode numbers in both modes and both languages.

The server's clock is set to 09:00 (Shanghai) on a day the demo seed leaves empty, and each test
imports its own doctor's morning there through the timetable API, so tests do not share a queue.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from harness.live import (
    LIFTED_LIMITS,
    Visitor,
    clinic_session,
    clock_offset,
    family_of,
    import_sessions,
    morning,
    queue_of,
    slots_of,
    staff_id_of,
)
from harness.server import LiveServer, prepare_database
from tests.browser.test_ecard import decode_card
from tests.support.browser import KIOSK, PHONE, add_member, audit_page, login
from tests.support.people import id_number, unique

DESK = {"width": 1366, "height": 900}
TV = {"width": 1920, "height": 1080}
DAYS_AHEAD = 30  # the demo seed's timetable covers the next 14 days only
PHONE_LIMIT_S = 15.0
BOARD_LIMIT_S = 3.0

# Records every vibration the page asks for (the phone "buzzes" in the test, too).
RECORD_VIBRATION = """
window.__vibrations = [];
if (navigator.vibrate) {
  const original = navigator.vibrate.bind(navigator);
  navigator.vibrate = (pattern) => {
    window.__vibrations.push(pattern);
    try { return original(pattern); } catch (e) { return false; }
  };
}
"""
# Notes the moment (epoch ms, as Date.now()) an element first shows up (with the text wanted).
WATCH = """
({selector, text}) => {
  window.__seenAt = null;
  const look = () => {
    const element = document.querySelector(selector);
    if (window.__seenAt === null && element && (text === null || element.textContent.trim() === text)) {
      window.__seenAt = Date.now();
    }
  };
  new MutationObserver(look).observe(document.body,
    {subtree: true, childList: true, attributes: true, characterData: true});
  look();
}
"""


@dataclass
class Clinic:
    server: LiveServer
    day: date
    offset_seconds: int

    @property
    def url(self) -> str:
        return self.server.url

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    def next_slot(self, session_code: str, *, later: int = 0) -> str:
        """The first slot of the session still open for booking (``later`` slots after it)."""
        now = self.now()
        future = [
            sid for sid, starts in slots_of(self.server.database_url, session_code) if starts > now
        ]
        return future[later]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Clinic]:
    """A hospital whose clock says 09:00 on an ordinary morning, with the demo staff."""
    directory = tmp_path_factory.mktemp("queue-day")
    url = f"sqlite+aiosqlite:///{directory / 'portal.db'}"
    prepare_database(url)
    at = morning(DAYS_AHEAD)
    offset = clock_offset(at)
    server = LiveServer(
        url,
        log_path=directory / "server.log",
        extra_env={
            **LIFTED_LIMITS,
            "PORTAL_CLOCK_OFFSET_SECONDS": offset,
            "PORTAL_ACCESS_LOG": "1",  # the 304 test counts the server's answers in its log
        },
    )
    with server:
        yield Clinic(server, at.date(), int(offset))


@dataclass
class Staff:
    nurse: Visitor
    doctor: Visitor


@pytest.fixture(scope="module")
def staff(clinic: Clinic) -> Iterator[Staff]:
    """The demo nurse and doctor, logged in once (staff logins are limited per minute)."""
    nurse, doctor = Visitor(clinic.url), Visitor(clinic.url)
    nurse.log_in_staff("nurse")
    doctor.log_in_staff("doctor")
    yield Staff(nurse, doctor)
    nurse.close()
    doctor.close()


def a_phone() -> str:
    return "136" + f"{random.randrange(10**8):08d}"


def someone(born: date, name: str, relationship: str = "other") -> dict[str, str]:
    """A patient with an ID number no other test uses (the tests share one server)."""
    member = {"name": name, "id_number": id_number(born), "relationship": relationship}
    return unique(member, a_phone())


def waiting_room(clinic: Clinic, session_code: str, names: list[str], slot: str) -> dict[str, str]:
    """Other patients (one family account) booked into ``slot``: name → card number."""
    visitor = Visitor(clinic.url)
    phone = a_phone()
    try:
        visitor.log_in_patient(phone)
        for index, name in enumerate(names):
            person = someone(date(1962 + 5 * index, 4, 2), name, "self" if index == 0 else "child")
            visitor.add_member(**person)
        family = family_of(clinic.server.database_url, phone)
        for name in names:
            visitor.book(slot, family[name][0])
    finally:
        visitor.close()
    return {name: family[name][1] for name in names}


def new_context(
    browser: Browser,
    clinic: Clinic,
    viewport: dict[str, int],
    *,
    mode: str = "standard",
    locale: str = "zh_Hans",
    cookies: list[dict[str, str]] | None = None,
) -> BrowserContext:
    context = browser.new_context(viewport=viewport, base_url=clinic.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {"name": "ymt_mode", "value": mode, "url": clinic.url},
            {"name": "ymt_lang", "value": locale, "url": clinic.url},
            *(cookies or []),
        ]
    )
    return context


def staff_login(page: Page, username: str) -> None:
    page.goto("/staff/login")
    page.fill("#f-username", username)
    page.fill("#f-password", "yimatong-demo")
    page.locator("form[action='/staff/login'] button[type=submit]").click()
    page.wait_for_url("**/staff")


def scan_like_a_scanner(page: Page, text: str) -> None:
    """A USB scanner types the code into the focused input and presses Enter."""
    expect(page.locator("#scan-code")).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def seconds_since(page: Page, started_ms: float, limit_s: float) -> float:
    """Wait (up to well past ``limit_s``) for the watched condition; its delay in seconds."""
    page.wait_for_function("() => window.__seenAt !== null", timeout=(limit_s + 10) * 1000)
    return (page.evaluate("window.__seenAt") - started_ms) / 1000


def test_the_whole_day_book_show_the_card_check_in_by_scan_get_called_see_the_board(
    browser: Browser, clinic: Clinic, artifacts: Path
) -> None:
    session_code = "DAY-CARD-D102"
    import_sessions(clinic.url, clinic_session(session_code, "D102", clinic.day, room="3 诊室"))
    # Two younger patients with the same appointment time arrive before her.
    ahead = waiting_room(clinic, session_code, ["赵强", "钱芳"], clinic.next_slot(session_code))

    contexts: list[BrowserContext] = []
    try:
        # -- 王秀英, 82, on her own phone, in elder mode ----------------------------------------
        phone_context = new_context(browser, clinic, PHONE, mode="elder")
        contexts.append(phone_context)
        phone_context.add_init_script(RECORD_VIBRATION)
        phone = phone_context.new_page()
        my_phone = a_phone()
        login(phone, my_phone)
        add_member(phone, {**someone(date(1944, 3, 15), "王秀英", "self"), "phone": my_phone})

        phone.goto("/")
        expect(phone.locator("html")).to_have_class(re.compile(r"\belder\b"))
        phone.get_by_role("link", name=re.compile("预约挂号")).first.click()
        phone.wait_for_url("**/booking")
        phone.get_by_role("link", name=re.compile("心血管内科")).first.click()
        phone.wait_for_url("**/booking/departments/**")
        session_card = phone.locator(".session-card", has_text="刘建华")
        session_card.locator("a.book-first").click()
        phone.wait_for_url("**/booking/confirm?**")
        expect(phone.locator("input[name=patient]:checked")).to_have_count(1)
        phone.locator("form.confirm-form button[type=submit]").click()
        phone.wait_for_url("**/booked")
        phone.screenshot(path=str(artifacts / "queue_day_1_booked_elder.png"), full_page=True)

        phone.goto("/ecard")
        codes = decode_card(phone, artifacts, "queue_day_2_ecard_elder")
        assert "QR Code" in codes, codes
        live_code = codes["QR Code"]

        phone.goto("/queue")
        expect(phone.locator("[data-ticket]")).to_have_count(0)
        phone.evaluate("window.__sameDocument = 'still here'")  # gone if the page reloads

        # -- the triage nurse scans card after card ---------------------------------------------
        desk_context = new_context(browser, clinic, DESK)
        contexts.append(desk_context)
        desk = desk_context.new_page()
        staff_login(desk, "nurse")
        desk.goto("/staff/scan/triage")
        for card_number in ahead.values():  # printed cards: the scanner types the 16 digits
            scan_like_a_scanner(desk, card_number)
            expect(desk.locator("[data-outcome=accepted] .desk-outcome.checked-in")).to_be_visible()
            expect(desk.locator("#scan-code")).to_have_value("")
        scan_like_a_scanner(desk, live_code)
        expect(desk.locator("[data-outcome=accepted] .result-name")).to_have_text("王*英")
        # "82 years old — aged 80 or over", large, and placed ahead of the two who came first
        expect(desk.locator("[data-outcome=accepted] .very-old")).to_be_visible()
        outcome = desk.locator("[data-outcome=accepted] .desk-outcome.checked-in")
        expect(outcome).to_contain_text("已签到")
        expect(outcome).to_contain_text("优先就诊")
        number = outcome.locator(".ticket-number").inner_text().strip()
        assert re.fullmatch(r"[A-Z]\d{3}", number), number
        expect(desk.locator("#scan-code")).to_be_focused()  # ready for the next card at once
        expect(desk.locator("#scan-code")).to_have_value("")
        desk.screenshot(path=str(artifacts / "queue_day_3_triage_station.png"), full_page=True)

        # -- her phone, left open, shows the ticket --------------------------------------------
        ticket = phone.locator("[data-ticket]", has_text=number)
        expect(ticket).to_be_visible(timeout=PHONE_LIMIT_S * 1000)
        expect(ticket).to_have_attribute("data-state", "near")  # nobody ahead: "you are next"
        expect(ticket).to_contain_text("下一位就是您")
        expect(ticket).to_contain_text("3 诊室")
        phone.screenshot(path=str(artifacts / "queue_day_4_phone_next_elder.png"))

        # -- the doctor's console and the waiting-room board ------------------------------------
        doctor_context = new_context(browser, clinic, DESK)
        contexts.append(doctor_context)
        console = doctor_context.new_page()
        staff_login(console, "doctor")
        console.goto("/staff/console")
        console.locator("a.tile", has_text="3 诊室").first.click()
        console.wait_for_url(re.compile(r"/staff/console/[0-9a-f-]{36}$"))
        queue_id = console.url.rsplit("/", 1)[1]
        assert queue_id == queue_of(clinic.server.database_url, session_code)
        expect(console.locator(".console-list li").first).to_contain_text(number)

        board_context = new_context(browser, clinic, TV)
        contexts.append(board_context)
        board = board_context.new_page()
        with board.expect_response(lambda r: r.url.endswith(f"/board/{queue_id}/events")):
            board.goto(f"/board/{queue_id}")
        expect(board.locator(".board-number")).to_have_count(0)
        expect(board.locator(".board-list").first).to_contain_text(number)  # next up

        # -- "call next": time the phone and the board --------------------------------------------
        phone.evaluate(WATCH, {"selector": "[data-ticket][data-state=called]", "text": None})
        board.evaluate(WATCH, {"selector": ".board-number", "text": number})
        clicked_ms = time.time() * 1000
        console.locator("button.call-next").click()
        board_s = seconds_since(board, clicked_ms, BOARD_LIMIT_S)
        phone_s = seconds_since(phone, clicked_ms, PHONE_LIMIT_S)
        (artifacts / "queue_day_waits.json").write_text(
            json.dumps({"board_seconds": round(board_s, 3), "phone_seconds": round(phone_s, 3)})
        )
        print(f"\ncall → board {board_s:.2f} s, call → phone {phone_s:.2f} s")

        phone.screenshot(path=str(artifacts / "queue_day_5_phone_called_elder.png"))
        board.screenshot(path=str(artifacts / "queue_day_6_board_1920.png"))
        console.screenshot(path=str(artifacts / "queue_day_7_console.png"), full_page=True)
        assert board_s <= BOARD_LIMIT_S, f"the board showed {number} {board_s:.2f} s after the call"
        assert phone_s <= PHONE_LIMIT_S, (
            f"the phone said 'your turn' {phone_s:.2f} s after the call"
        )

        called = phone.locator("[data-ticket][data-state=called]")
        expect(called.locator("[role=alert]")).to_contain_text("轮到您了")
        expect(called).to_contain_text("3 诊室")
        assert phone.evaluate("window.__sameDocument") == "still here", "the phone page reloaded"
        assert [400, 150, 400, 150, 400] in phone.evaluate("window.__vibrations")
        expect(board.locator(".board-name")).to_have_text("王*英")
        expect(board.locator(".board-room")).to_contain_text("3 诊室")
        expect(console.locator(".console-now .ticket-number")).to_have_text(number)
    finally:
        for context in contexts:
            context.close()


def test_the_phone_asks_with_its_etag_and_an_unchanged_status_costs_a_304(
    browser: Browser, clinic: Clinic
) -> None:
    """What the 3,000-phones benchmark assumes: Chromium revalidates /queue/status with
    If-None-Match, and the server answers 304 while nothing has changed."""
    log = clinic.server.log_path
    assert log is not None

    def not_modified() -> int:
        return log.read_text(encoding="utf-8").count('"GET /queue/status HTTP/1.1" 304')

    visitor = Visitor(clinic.url)
    visitor.log_in_patient(a_phone())
    context = new_context(browser, clinic, PHONE, cookies=visitor.browser_cookies("ymt_session"))
    try:
        phone = context.new_page()
        phone.goto("/queue")
        before = not_modified()
        for _ in range(3):  # what the page's poll does, three times over
            phone.evaluate(
                """() => new Promise((done) => {
                  document.body.addEventListener("htmx:afterSettle", done, {once: true});
                  htmx.ajax("GET", "/queue/status", {target: "#queue-status", swap: "outerHTML"});
                })"""
            )
        expect(phone.locator("#queue-status")).to_be_visible()
        assert not_modified() - before >= 2, "the browser did not revalidate with If-None-Match"
    finally:
        context.close()
        visitor.close()


def test_the_board_catches_up_on_a_call_made_while_its_stream_was_down(
    browser: Browser, clinic: Clinic, staff: Staff
) -> None:
    """A stream that drops (a proxy or an app process restarting) and comes back must not leave
    the board showing an old call until its slow fallback poll."""
    session_code = "BOARD-D601"
    import_sessions(clinic.url, clinic_session(session_code, "D601", clinic.day, room="9 诊室"))
    for card_number in waiting_room(
        clinic, session_code, ["赵强", "钱芳"], clinic.next_slot(session_code)
    ).values():
        staff.nurse.scan("triage", card_number)
    queue_id = queue_of(clinic.server.database_url, session_code)
    # Not the demo doctor's own session: the nurse asks him to cover the room.
    staff.nurse.cover(queue_id, staff_id_of(clinic.server.database_url, "doctor"))

    held: list[Route] = []
    streams = 0

    def events(route: Route) -> None:
        nonlocal streams
        streams += 1
        if streams == 1:  # connected, then the connection drops at once
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream"},
                body="retry: 200\nevent: ready\ndata: {}\n\n",
            )
        elif streams == 2:  # the reconnection waits while the doctor calls
            held.append(route)
        else:
            route.continue_()

    context = new_context(browser, clinic, TV)
    try:
        board = context.new_page()
        board.route(f"**/board/{queue_id}/events", events)
        board.goto(f"/board/{queue_id}")
        deadline = time.monotonic() + 10
        while not held and time.monotonic() < deadline:
            board.wait_for_timeout(20)
        assert held, "the board did not reconnect its stream"
        staff.doctor.call_next(queue_id)  # no board is listening: this event is lost
        expect(board.locator(".board-number")).to_have_count(0)
        held[0].continue_()
        expect(board.locator(".board-number")).to_have_text(
            re.compile(r"[A-Z]001"), timeout=BOARD_LIMIT_S * 1000
        )
    finally:
        context.close()


# (mode, locale) → the doctor (demo seed code) and room of that run's own queue
AUDIT_CLINICS = {
    ("standard", "zh_Hans"): ("D201", "5 诊室"),
    ("elder", "zh_Hans"): ("D301", "6 诊室"),
    ("standard", "en"): ("D401", "7 诊室"),
    ("elder", "en"): ("D501", "8 诊室"),
}


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_queue_page_passes_axe_and_the_mode_numbers(
    browser: Browser, clinic: Clinic, staff: Staff, artifacts: Path, mode: str, locale: str
) -> None:
    doctor_code, room = AUDIT_CLINICS[(mode, locale)]
    session_code = f"AUDIT-{doctor_code}"
    import_sessions(clinic.url, clinic_session(session_code, doctor_code, clinic.day, room=room))
    slot = clinic.next_slot(session_code, later=1)
    others = waiting_room(clinic, session_code, ["赵强", "钱芳", "孙丽", "周杰"], slot)
    me = Visitor(clinic.url, mode=mode, locale=locale)
    my_phone = a_phone()
    me.log_in_patient(my_phone)
    me.add_member(**{**someone(date(1970, 8, 8), "李静", "self"), "phone": my_phone})
    mine = family_of(clinic.server.database_url, my_phone)["李静"]
    me.book(slot, mine[0])
    for card_number in others.values():
        assert "checked-in" in staff.nurse.scan("triage", card_number)

    problems: list[str] = []
    contexts: list[BrowserContext] = []
    shot = f"{mode}_{locale}"
    try:
        # The triage station, after it checked her in (the fifth in line).
        desk_context = new_context(
            browser,
            clinic,
            DESK,
            mode=mode,
            locale=locale,
            cookies=staff.nurse.browser_cookies("ymt_session"),
        )
        contexts.append(desk_context)
        desk = desk_context.new_page()
        desk.goto("/staff/scan/triage")
        scan_like_a_scanner(desk, mine[1])
        expect(desk.locator("[data-outcome=accepted] .desk-outcome.checked-in")).to_be_visible()
        problems += audit_page(desk)
        queue_id = queue_of(clinic.server.database_url, session_code)
        # Not the demo doctor's own session: the nurse asks him to cover the room (that page too).
        staff.nurse.cover(queue_id, staff_id_of(clinic.server.database_url, "doctor"))
        desk.goto("/staff/cover")
        expect(desk.locator("[data-cover=doctor]").first).to_be_visible()
        problems += audit_page(desk)

        # Her phone: waiting (4 ahead), near (2 ahead), called.
        phone_context = new_context(
            browser,
            clinic,
            PHONE,
            mode=mode,
            locale=locale,
            cookies=me.browser_cookies("ymt_session"),
        )
        contexts.append(phone_context)
        phone = phone_context.new_page()
        for state, calls in (("waiting", 0), ("near", 2), ("called", 3)):
            for _ in range(calls):
                staff.doctor.call_next(queue_id)
            phone.goto("/queue")
            expect(phone.locator("[data-ticket]")).to_have_attribute("data-state", state)
            phone.screenshot(path=str(artifacts / f"queue_{state}_{shot}.png"))
            problems += audit_page(phone)
        phone.goto("/waiting")
        expect(phone.locator("#waiting-panel")).to_contain_text(room)
        problems += audit_page(phone)

        board_context = new_context(browser, clinic, TV, mode=mode, locale=locale)
        contexts.append(board_context)
        board = board_context.new_page()
        board.goto(f"/board/{queue_id}")
        expect(board.locator(".board-number")).to_have_text(re.compile(r"[A-Z]\d{3}"))
        board.screenshot(path=str(artifacts / f"queue_board_{shot}.png"))
        problems += audit_page(board)

        console_context = new_context(
            browser,
            clinic,
            DESK,
            mode=mode,
            locale=locale,
            cookies=staff.doctor.browser_cookies("ymt_session"),
        )
        contexts.append(console_context)
        console = console_context.new_page()
        console.goto("/staff/console")
        problems += audit_page(console)
        console.goto(f"/staff/console/{queue_id}")
        expect(console.locator(".console-now .ticket-number")).to_be_visible()
        console.screenshot(path=str(artifacts / f"queue_console_{shot}.png"), full_page=True)
        problems += audit_page(console)
    finally:
        me.close()
        for context in contexts:
            context.close()
    assert not problems, "\n".join(problems)


# locale → the doctor (demo seed code) and room of that run's own queue
KIOSK_CLINICS = {"zh_Hans": ("D103", "10 诊室"), "en": ("D104", "11 诊室")}


def choose_language(kiosk: Page, locale: str) -> None:
    """A patient taps the language button on the kiosk (it starts in the hospital's)."""
    if locale == "en":
        kiosk.get_by_role("button", name="English").click()
        expect(kiosk.locator("html")).to_have_attribute("lang", "en")
        expect(kiosk.locator("#kiosk-code")).to_be_focused()


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_a_patient_checks_herself_in_at_the_lobby_kiosk(
    browser: Browser, clinic: Clinic, artifacts: Path, locale: str
) -> None:
    """The nurse turns a lobby screen into a kiosk; an 82-year-old holds her phone's e-card
    under its scanner and gets her number; "Done" leaves nothing of her on the screen."""
    doctor_code, room = KIOSK_CLINICS[locale]
    session_code = f"KIOSK-{doctor_code}"
    import_sessions(clinic.url, clinic_session(session_code, doctor_code, clinic.day, room=room))
    me = Visitor(clinic.url, mode="elder", locale=locale)
    my_phone = a_phone()
    me.log_in_patient(my_phone)
    me.add_member(**{**someone(date(1944, 3, 15), "王秀英", "self"), "phone": my_phone})
    # Her husband has no smartphone: he carries the printed card.
    me.add_member(**someone(date(1942, 8, 1), "李建国", "spouse"))
    family = family_of(clinic.server.database_url, my_phone)
    me.book(clinic.next_slot(session_code), family["王秀英"][0])
    me.book(clinic.next_slot(session_code), family["李建国"][0])

    problems: list[str] = []
    contexts: list[BrowserContext] = []
    try:
        phone_context = new_context(
            browser,
            clinic,
            PHONE,
            mode="elder",
            locale=locale,
            cookies=me.browser_cookies("ymt_session"),
        )
        contexts.append(phone_context)
        phone = phone_context.new_page()
        phone.goto("/ecard")
        live_code = decode_card(phone, artifacts, f"kiosk_ecard_{locale}")["QR Code"]

        # -- the lobby screen: not a kiosk until a nurse sets it up ------------------------------
        kiosk_context = new_context(browser, clinic, KIOSK, locale=locale)
        contexts.append(kiosk_context)
        kiosk = kiosk_context.new_page()
        kiosk.goto("/kiosk")
        expect(kiosk.locator("a[href='/staff/login?next=/staff/kiosk']")).to_be_visible()
        problems += audit_page(kiosk)
        kiosk.locator("a[href='/staff/login?next=/staff/kiosk']").click()
        kiosk.fill("#f-username", "nurse")
        kiosk.fill("#f-password", "yimatong-demo")
        kiosk.locator("form[action='/staff/login'] button[type=submit]").click()
        kiosk.wait_for_url("**/staff/kiosk")
        problems += audit_page(kiosk)
        kiosk.fill("#f-name", "门诊大厅 1 号机")
        kiosk.locator("form[action='/staff/kiosk'] button[type=submit]").click()
        kiosk.wait_for_url(re.compile(r"/kiosk$"))
        expect(kiosk.locator("html")).to_have_class(re.compile(r"\belder\b"))
        expect(kiosk.locator("html")).to_have_attribute("lang", "zh-Hans")  # the hospital's
        choose_language(kiosk, locale)
        kiosk.screenshot(path=str(artifacts / f"kiosk_1_ready_{locale}.png"))
        problems += audit_page(kiosk)

        # -- she holds the phone under the scanner: it types the code and Enter ----------------
        expect(kiosk.locator("#kiosk-code")).to_be_focused()
        kiosk.keyboard.type(live_code)
        kiosk.keyboard.press("Enter")
        answer = kiosk.locator("[data-outcome=accepted]")
        expect(answer).to_be_visible()
        expect(answer.locator(".kiosk-name")).to_have_text("王*英")
        expect(answer).to_contain_text(room)
        number = answer.locator(".kiosk-number").inner_text().strip()
        assert re.fullmatch(r"[A-Z]\d{3}", number), number
        kiosk.screenshot(path=str(artifacts / f"kiosk_2_checked_in_{locale}.png"))
        problems += audit_page(kiosk)

        # The receipt printer's slip: the number and the room, nothing of the screen around it.
        expect(kiosk.locator("button[data-print]")).to_be_visible()
        kiosk.emulate_media(media="print")
        expect(kiosk.locator(".kiosk-number")).to_be_visible()
        expect(kiosk.locator(".print-only")).to_be_visible()
        expect(kiosk.locator("form.kiosk-form")).to_be_hidden()
        expect(kiosk.locator("button[data-print]")).to_be_hidden()
        kiosk.screenshot(path=str(artifacts / f"kiosk_2_slip_{locale}.png"))
        kiosk.emulate_media(media="screen")

        # Her phone shows the same ticket.
        phone.goto("/queue")
        expect(phone.locator("[data-ticket]", has_text=number)).to_be_visible()

        # "Done": the screen forgets her.
        kiosk.locator("a[href='/kiosk/done']").click()
        kiosk.wait_for_url(re.compile(r"/kiosk$"))
        expect(kiosk.locator("body")).not_to_contain_text("王*英")
        expect(kiosk.locator("body")).not_to_contain_text(number)
        expect(kiosk.locator("#kiosk-code")).to_be_focused()
        expect(kiosk.locator("html")).to_have_attribute("lang", "zh-Hans")  # her choice forgotten
        kiosk.go_back()  # and "Back" does not bring her answer again
        expect(kiosk.locator("#kiosk-code")).to_be_visible()
        expect(kiosk.locator("body")).not_to_contain_text("王*英")
        kiosk.goto("/kiosk/done")
        choose_language(kiosk, locale)

        # He types his printed card's number on the kiosk's keypad (no keyboard on a kiosk).
        keypad = kiosk.locator("[data-keypad]")
        expect(keypad).to_be_visible()
        keypad.locator("[data-key='7']").click()
        keypad.locator("[data-key='back']").click()
        for digit in family["李建国"][1]:
            keypad.locator(f"[data-key='{digit}']").click()
        expect(kiosk.locator("#kiosk-code")).to_have_value(family["李建国"][1])
        expect(kiosk.locator("#kiosk-code")).to_be_focused()
        kiosk.locator("form.kiosk-form button[type=submit]").click()
        expect(kiosk.locator("[data-outcome=accepted] .kiosk-name")).to_have_text("李*国")
        kiosk.goto("/kiosk/done")
        choose_language(kiosk, locale)

        # Someone scans yesterday's screenshot-like nonsense: told what to do, in words.
        kiosk.keyboard.type("NOT-A-CARD")
        kiosk.keyboard.press("Enter")
        expect(kiosk.locator("[data-outcome=refused]")).to_be_visible()
        kiosk.screenshot(path=str(artifacts / f"kiosk_3_refused_{locale}.png"))
        problems += audit_page(kiosk)
        if locale == "zh_Hans":  # left alone, the answer clears itself (20 s: once is enough)
            expect(kiosk.locator("[data-outcome]")).to_have_count(0, timeout=30_000)
            expect(kiosk.locator("#kiosk-code")).to_be_focused()
    finally:
        me.close()
        for context in contexts:
            context.close()
    assert not problems, "\n".join(problems)
