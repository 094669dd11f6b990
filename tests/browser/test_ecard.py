"""Decode what we draw: the card as Chromium shows it, read back by zxing-cpp and sent to the
scan API — accepted now, refused when replayed later, refused at once after a reissue."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from ecard.render import BARCODE_QUIET_ZONE, barcode_pattern, barcode_svg
from harness.server import LiveServer
from portal.api.seed import DEMO_SCANNER_TOKEN
from tests.support.browser import KIOSK, PHONE, add_member, audit_page, login, set_preferences
from tests.support.people import SELF, unique


def unique_self(phone: str) -> dict[str, str]:
    """Myself, with an ID number no other test uses (tests share one live server)."""
    return unique(SELF, phone)


def decode_card(page: Page, artifacts: Path, name: str) -> dict[str, str]:
    """Screenshot the card on screen and read every code on it, as a desk scanner would."""
    shot = page.locator(".ecard").screenshot(path=str(artifacts / f"{name}.png"))
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    return {str(code.format): code.text for code in found}


@contextlib.contextmanager
def card_on_screen(
    browser: Browser, live_server: LiveServer, phone: str, viewport: dict[str, int]
) -> Iterator[Page]:
    """A new patient's card page at this size (the patient added as "myself")."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    page = context.new_page()
    try:
        login(page, phone)
        add_member(page, unique_self(phone))
        page.goto("/ecard")
        yield page
    finally:
        context.close()


def scan(server: LiveServer, code: str, touchpoint: str = "triage") -> dict[str, object]:
    response = httpx.post(
        f"{server.url}/api/v1/scans",
        json={"code": code, "touchpoint": touchpoint},
        headers={"Authorization": f"Bearer {DEMO_SCANNER_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def later_server(live_server: LiveServer, tmp_path: Path) -> LiveServer:
    """The same hospital (same database and keys) with its clock 150 s ahead: a replay later on."""
    server = LiveServer(
        live_server.database_url,
        extra_env={"PORTAL_CLOCK_OFFSET_SECONDS": "150"},
        log_path=tmp_path / "later.log",
    )
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("viewport", [PHONE, KIOSK], ids=["phone", "kiosk"])
def test_the_card_on_screen_decodes_and_resolves_to_the_patient(
    browser: Browser,
    live_server: LiveServer,
    new_phone: str,
    artifacts: Path,
    viewport: dict[str, int],
) -> None:
    with card_on_screen(browser, live_server, new_phone, viewport) as page:
        codes = decode_card(page, artifacts, f"ecard_{viewport['width']}")
        assert set(codes) == {"QR Code", "Code 128"}, codes
        qr, barcode = codes["QR Code"], codes["Code 128"]
        assert qr.startswith("YM1.") and barcode.isdigit() and len(barcode) == 16
        digits = page.locator(".card-digits").inner_text().replace(" ", "")
        assert digits.endswith(barcode)
        for code, kind in ((qr, "dynamic"), (barcode, "static")):
            body = scan(live_server, code)
            assert body["accepted"] and body["kind"] == kind
            assert body["patient"]["name"] == "李*"  # type: ignore[index]


# Card numbers zxing could not read when the barcode was scaled to 2.24 px a module (320 px).
HARD_TO_READ = (
    "6907366258517813",
    "6374579131000759",
    "1307243765443300",
    "2807073685311066",
    "8207500562809860",
    "5070249364200767",
    "5550164408740755",
    "7507985492898037",
    "6862294161760716",
)


@pytest.mark.parametrize("viewport", [PHONE, KIOSK], ids=["phone", "kiosk"])
def test_the_barcode_is_drawn_at_whole_pixels_a_module_and_every_card_reads(
    browser: Browser, live_server: LiveServer, new_phone: str, viewport: dict[str, int]
) -> None:
    with card_on_screen(browser, live_server, new_phone, viewport) as page:
        frame = page.locator(".barcode-frame")
        for number in HARD_TO_READ:
            frame.evaluate(
                "(node, svg) => { node.innerHTML = svg; }", barcode_svg(number, label="x")
            )
            box = frame.locator("svg").bounding_box()
            assert box is not None
            modules = len(barcode_pattern(number)) + 2 * BARCODE_QUIET_ZONE
            assert box["width"] / modules in (2, 3), box
            found = zxingcpp.read_barcodes(Image.open(io.BytesIO(frame.screenshot())))
            assert [code.text for code in found] == [number]


def test_a_screenshot_replayed_later_is_refused_and_a_reissue_refuses_at_once(
    page: Page, live_server: LiveServer, later_server: LiveServer, new_phone: str, artifacts: Path
) -> None:
    login(page, new_phone)
    add_member(page, unique_self(new_phone))
    page.goto("/ecard")
    first = decode_card(page, artifacts, "ecard_replay")
    assert scan(live_server, first["QR Code"])["accepted"]
    replay = scan(later_server, first["QR Code"])
    assert replay["outcome"] == "expired" and not replay["accepted"]
    assert scan(later_server, first["Code 128"])[
        "accepted"
    ]  # the printed barcode has no time in it

    page.goto("/ecard")
    fresh = decode_card(page, artifacts, "ecard_before_reissue")
    page.get_by_role("link", name="手机丢了？挂失补卡").click()
    page.get_by_role("button", name="确定补卡").click()
    expect(page.locator(".notice.ok")).to_be_visible()
    for old in (fresh["QR Code"], fresh["Code 128"]):
        assert scan(live_server, old)["outcome"] == "revoked"
    after = decode_card(page, artifacts, "ecard_after_reissue")
    assert after["Code 128"] != fresh["Code 128"]
    assert scan(live_server, after["QR Code"])["accepted"]


def test_the_code_refreshes_itself_before_it_expires(page: Page, new_phone: str) -> None:
    login(page, new_phone)
    add_member(page, unique_self(new_phone))
    page.goto("/ecard")
    window = page.get_attribute("#ecard-code", "data-window")
    left = int(page.get_attribute("#ecard-code", "data-seconds-left") or "30")
    expect(page.locator("#ecard-code")).not_to_have_attribute(
        "data-window", window or "", timeout=(left + 5) * 1000
    )
    assert page.url.endswith("/ecard")  # refreshed in place, no reload


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_card_and_desk_pages_pass_axe_and_the_mode_numbers(
    page: Page, live_server: LiveServer, new_phone: str, mode: str, locale: str
) -> None:
    set_preferences(page, live_server.url, mode=mode, locale=locale)
    login(page, new_phone)
    add_member(page, unique_self(new_phone))
    problems: list[str] = []
    for path in ("/", "/ecard", "/ecard/print", "/ecard/print?size=receipt", "/ecard/reissue"):
        page.goto(path)
        problems += audit_page(page)
    page.goto("/staff/login")
    problems += audit_page(page)
    page.fill("#f-username", "nurse")
    page.fill("#f-password", "yimatong-demo")
    page.locator("form[action='/staff/login'] button[type=submit]").click()
    page.wait_for_url("**/staff")
    problems += audit_page(page)
    page.goto("/staff/scan/triage")
    problems += audit_page(page)
    page.fill("#scan-code", "not a card")
    page.keyboard.press("Enter")
    expect(page.locator("[data-outcome=refused]")).to_be_visible()
    problems += audit_page(page)
    assert not problems, "\n".join(problems)
