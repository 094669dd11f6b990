"""The foundation in a real Chromium: log in, add a mother, elder mode, English — and every
page clean under axe-core and the elder-mode numbers, in both modes and both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.server import LiveServer
from tests.support.browser import (
    PHONE,
    add_member,
    audit_page,
    html_lang,
    login,
    read_code,
    set_preferences,
    settled,
)
from tests.support.people import MOTHER, SELF, unique


def test_new_user_logs_in_adds_mother_turns_on_elder_mode_and_reads_english(
    page: Page, new_phone: str, artifacts: Path
) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_role("link", name="用手机号登录").click()
    page.fill("#f-phone", new_phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("h1")).to_have_text("输入验证码")
    code = read_code(page, new_phone)
    page.go_back()
    page.fill("#f-code", code)
    page.get_by_role("button", name="登录").last.click()
    page.wait_for_url("**/patients/new?first=1")
    add_member(page, unique(SELF, new_phone))
    add_member(page, unique(MOTHER))
    expect(page.locator(".person-name")).to_contain_text(["李*", "王*英"])
    page.screenshot(path=str(artifacts / "patients_standard_zh.png"), full_page=True)

    page.get_by_role("button", name="长辈模式（大字）").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    page.goto("/")
    page.screenshot(path=str(artifacts / "home_elder_zh.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Patient services")
    page.screenshot(path=str(artifacts / "home_elder_en.png"), full_page=True)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20


def visit_every_page(page: Page, phone: str) -> list[str]:
    """Walk every page that exists (logged out, then logged in) and collect the audit problems."""
    problems: list[str] = []
    for path in ("/", "/login", "/settings", "/no-such-page"):
        page.goto(path)
        problems += audit_page(page)
    page.goto("/login")
    page.fill("#f-phone", "123")
    page.locator("form[action='/login/code'] button[type=submit]").click()
    problems += audit_page(page)  # the form with its error
    page.fill("#f-phone", phone)
    page.locator("form[action='/login/code'] button[type=submit]").click()
    page.wait_for_url("**/login/verify")
    problems += audit_page(page)
    code = read_code(page, phone)
    page.goto("/login/verify")
    page.fill("#f-code", code)
    page.locator("form[action='/login/verify'] button[type=submit]").click()
    page.wait_for_url("**/patients/new?first=1")
    add_member(page, unique(SELF, phone))
    for path in ("/", "/settings", "/patients", "/patients/new", "/dev/outbox"):
        page.goto(path)
        problems += audit_page(page)
    page.goto("/patients/new")
    page.locator("form.form button[type=submit]").click()  # empty form: every error shown
    problems += audit_page(page)
    page.goto("/patients")
    page.locator("a[href$='/edit']").first.click()
    problems += audit_page(page)
    page.goto("/patients")
    page.locator("a[href$='/remove']").first.click()
    problems += audit_page(page)
    return problems


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_page_passes_axe_and_the_mode_numbers(
    page: Page, live_server: LiveServer, new_phone: str, mode: str, locale: str
) -> None:
    set_preferences(page, live_server.url, mode=mode, locale=locale)
    problems = visit_every_page(page, new_phone)
    assert html_lang(page) == ("zh-Hans" if locale == "zh_Hans" else "en")
    assert not problems, "\n".join(problems)


def test_login_and_adding_a_family_member_work_without_javascript(
    browser: Browser, live_server: LiveServer, new_phone: str
) -> None:
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    try:
        login(page, new_phone)
        add_member(page, unique(SELF, new_phone))
        add_member(page, unique(MOTHER))
        expect(page.locator(".person-name")).to_have_count(2)
        page.get_by_role("button", name="长辈模式（大字）").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()


def _share(live_server: LiveServer, member: dict[str, str]) -> None:
    """Another family account adds the same person, with the code sent to their phone."""
    import random

    from harness.live import CODE, Visitor

    other = Visitor(live_server.url)
    try:
        other.log_in_patient("136" + f"{random.randrange(10**8):08d}")
        response = other.submit("/patients", member)
        assert response.headers["location"] == "/patients/confirm", response.text[:300]
        outbox = other.get("/dev/outbox").text
        block = next(b for b in outbox.split('<li class="panel">')[1:] if member["phone"] in b)
        code = CODE.search(block.split("outbox-body", 1)[1])
        assert code
        assert other.submit("/patients/confirm", {"code": code.group(1)}).status_code == 303
    finally:
        other.close()


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_changing_a_shared_patients_phone_and_a_refused_value_read_clearly(
    page: Page,
    live_server: LiveServer,
    new_phone: str,
    mode: str,
    locale: str,
    artifacts: Path,
) -> None:
    """The page that asks the old phone's owner for a code, and the page a refused address
    gets, both clean under axe and the mode's numbers."""
    set_preferences(page, live_server.url, mode=mode, locale=locale)
    login(page, new_phone)
    mother = unique(MOTHER, phone="139" + new_phone[3:])  # her own phone: its own code limits
    add_member(page, mother)
    _share(live_server, mother)
    page.goto("/patients")
    page.locator("a[href$='/edit']").first.click()
    page.wait_for_url("**/edit")
    settled(page)
    expect(page.locator("#f-phone")).to_have_value(mother["phone"])  # the edit page has loaded
    page.fill("#f-phone", "135" + new_phone[3:])
    expect(page.locator("#f-phone")).to_have_value("135" + new_phone[3:])
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#f-code")).to_be_visible()
    problems = audit_page(page)
    page.screenshot(path=str(artifacts / f"patient_phone_{mode}_{locale}.png"), full_page=True)
    page.goto("/booking/search?q=%E9%AB%98%00")
    expect(page.locator("h1")).to_be_visible()
    problems += audit_page(page)
    page.screenshot(path=str(artifacts / f"refused_address_{mode}_{locale}.png"), full_page=True)
    assert not problems, "\n".join(problems)
