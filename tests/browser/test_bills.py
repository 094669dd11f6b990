"""My bills in a real Chromium: the demo daughter, in elder mode, finds what her parents owe from
the elder home, reads a bill line by line, in both languages and both modes — axe-clean, with the
amount due in large figures."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from harness.server import LiveServer
from portal.accounts.seed import DEMO_PHONE
from tests.support.browser import KIOSK, audit_page, login, set_preferences


def switch(page: Page, *, elder: bool, english: bool) -> None:
    """Use the header's own buttons, as a person does (the account remembers the choice)."""
    page.goto("/")
    if ("elder" in (page.get_attribute("html", "class") or "")) != elder:
        page.locator("form[action='/settings/mode'] button").click()
        expect(page.locator("html")).to_have_class(
            re.compile(r"\belder\b" if elder else r"\bstandard\b")
        )
    if (page.get_attribute("html", "lang") == "en") != english:
        page.locator("form[action='/settings/language'] button").click()
        expect(page.locator("html")).to_have_attribute("lang", "en" if english else "zh-Hans")


def test_the_daughter_finds_and_reads_her_parents_bills(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    set_preferences(page, live_server.url, mode="elder")
    page.goto("/login")
    page.wait_for_load_state("networkidle")
    login(page, DEMO_PHONE)
    switch(page, elder=True, english=False)
    page.get_by_role("link", name="手机缴费").click()
    expect(page.locator("h1")).to_have_text("我的缴费")
    # The demo family: the mother's lab tests (¥71.50), the father's medicines (¥72.20) and the
    # registration fees of their booked visits.
    due = page.locator(".amount-due .amount")
    expect(due).to_contain_text("¥")
    assert float(due.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
    expect(page.get_by_role("heading", name="王*英：待缴 ¥71.50")).to_be_visible()
    problems: list[str] = []
    for elder in (True, False):
        for english in (False, True):
            switch(page, elder=elder, english=english)
            page.goto("/bills")
            problems += audit_page(page)
            page.get_by_role("link", name="检验费 · 内分泌科").click()
            expect(page.locator("h1")).to_have_text("检验费 · 内分泌科")
            expect(page.locator(".bill-lines li")).to_have_count(3)
            expect(page.locator(".totals .amount")).to_have_text("¥71.50")
            problems += audit_page(page)
            name = f"{'elder' if elder else 'standard'}_{'en' if english else 'zh'}"
            page.screenshot(path=str(artifacts / f"bill_{name}.png"), full_page=True)
    expect(page.get_by_text("Lab test · 1 × ¥60.00")).to_be_visible()
    page.set_viewport_size(KIOSK)
    page.goto("/bills")
    problems += audit_page(page, reflow_check=False)
    assert not problems, "\n".join(problems)
