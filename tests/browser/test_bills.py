"""My bills in a real Chromium: the demo daughter, in elder mode, finds what her parents owe from
the elder home, reads a bill line by line, in both languages and both modes — axe-clean, with the
amount due in large figures."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

import ecard
from harness.server import SERVER_SECRET, LiveServer
from portal.accounts.seed import DEMO_PHONE
from portal.cards.keys import build_keyring
from portal.settings import AppSettings, Settings
from portal.staff.seed import DEMO_PASSWORD
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
    # The demo family: the mother's lab tests (¥71.50, of which her residents' insurance pays
    # about ¥32.00), the father's medicines and the registration fees of their booked visits.
    due = page.locator(".amount-due .amount")
    expect(due).to_contain_text("¥")
    assert float(due.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
    expect(page.get_by_role("heading", name="王*英：待缴 ¥39.50")).to_be_visible()
    problems: list[str] = []
    for elder in (True, False):
        for english in (False, True):
            switch(page, elder=elder, english=english)
            page.goto("/bills")
            problems += audit_page(page)
            page.get_by_role("link", name="检验费 · 内分泌科").click()
            expect(page.locator("h1")).to_have_text("检验费 · 内分泌科")
            expect(page.locator(".bill-lines li")).to_have_count(3)
            expect(page.locator(".totals .amount")).to_have_text("¥39.50")
            expect(page.locator(".totals")).to_contain_text("¥32.00")
            problems += audit_page(page)
            page.locator("a[href^='/bills/insurance/']").first.click()
            expect(page.locator("input[name=scheme]:checked")).to_have_count(1)
            problems += audit_page(page)
            for path in ("/receipts", "/receipts/check?code=7K3M-Q9TB-2XWD-H4RN"):
                page.goto(path)
                problems += audit_page(page)
            page.goto("/bills")
            page.get_by_role("link", name="检验费 · 内分泌科").click()
            name = f"{'elder' if elder else 'standard'}_{'en' if english else 'zh'}"
            page.screenshot(path=str(artifacts / f"bill_{name}.png"), full_page=True)
    expect(page.get_by_text("Lab test · 1 × ¥60.00")).to_be_visible()
    # The cashier takes the mother's lab bill at the window; the daughter opens the receipt.
    window = page.context.browser.new_context(base_url=live_server.url)  # type: ignore[union-attr]
    try:
        cashier = window.new_page()
        expect(cashier_scans(cashier, live_server, "王秀英")).to_contain_text("检验费 · 内分泌科")
        cashier.get_by_role("button", name="记录收款").click()
        expect(cashier.get_by_text("收款已记录")).to_be_visible()
    finally:
        window.close()
    for elder in (True, False):
        for english in (False, True):
            switch(page, elder=elder, english=english)
            page.goto("/receipts")
            problems += audit_page(page)
            page.locator(".bill-card a").first.click()
            expect(page.locator(".receipt-code")).to_have_text(re.compile(r"^[0-9A-Z-]{19}$"))
            problems += audit_page(page)
            name = f"{'elder' if elder else 'standard'}_{'en' if english else 'zh'}"
            page.screenshot(path=str(artifacts / f"receipt_{name}.png"), full_page=True)
    page.set_viewport_size(KIOSK)
    page.goto("/bills")
    problems += audit_page(page, reflow_check=False)
    assert not problems, "\n".join(problems)


def test_the_cashier_scans_the_live_code_and_takes_the_money_once(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    form = cashier_scans(page, live_server, "李建国")
    expect(form).to_contain_text("药费 · 心血管内科")
    expect(form).to_contain_text("城镇职工医保")
    problems = audit_page(page, reflow_check=False)
    page.get_by_role("radio", name="银行卡").check()
    button = page.get_by_role("button", name="记录收款")
    button.dblclick()  # a double click is one payment
    expect(page.get_by_text("收款已记录")).to_be_visible()
    page.screenshot(path=str(artifacts / "cashier_paid.png"), full_page=True)
    problems += audit_page(page, reflow_check=False)
    assert not problems, "\n".join(problems)
    assert payments_of(live_server.database_url, "李建国") == 1


def cashier_scans(page: Page, live_server: LiveServer, name: str) -> Any:
    """The demo cashier logs in on ``page`` and scans the patient's live code (made with the
    server's keys); the desk's form."""
    number, generation = card_of(live_server.database_url, name)
    keyring = build_keyring(
        Settings(app=AppSettings(environment="development", secret_key=SERVER_SECRET))
    )
    page.goto("/staff/login")
    page.fill("#f-username", "cashier")
    page.fill("#f-password", DEMO_PASSWORD)
    page.locator("form[action='/staff/login'] button[type=submit]").click()
    page.wait_for_url("**/staff")
    page.goto("/staff/scan/cashier")
    page.fill("#scan-code", ecard.issue_code(keyring, number, generation, time.time()))
    page.keyboard.press("Enter")
    return page.locator(".cashier-form")


def _row(database_url: str, query: str, name: str) -> Any:
    engine = create_engine(database_url.replace("+aiosqlite", ""))
    with engine.connect() as connection:
        row = connection.execute(text(query), {"name": name}).one()
    engine.dispose()
    return row


def card_of(database_url: str, name: str) -> tuple[str, int]:
    row = _row(
        database_url,
        "SELECT card_number, generation FROM ecard JOIN patient ON patient.id = ecard.patient_id "
        "WHERE patient.name = :name AND ecard.active",
        name,
    )
    return str(row[0]), int(row[1])


def payments_of(database_url: str, name: str) -> int:
    row = _row(
        database_url,
        "SELECT count(*) FROM payment JOIN patient ON patient.id = payment.patient_id "
        "WHERE patient.name = :name",
        name,
    )
    return int(row[0])
