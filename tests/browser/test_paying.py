"""Paying on the phone in a real Chromium: a daughter, in elder mode, pays her father's
registration and lab bills through the sandbox gateway from her office; the return page says
what to do next; the PDF receipt names the amounts (read back with pdftotext). Axe-clean and the
elder numbers on every page it passes, in both modes and both languages."""

from __future__ import annotations

import io
import re
import subprocess
import time
from datetime import date
from pathlib import Path

import httpx
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

import ecard
from harness.server import SERVER_SECRET, LiveServer
from portal.accounts.idnumber import make_id_number
from portal.api.seed import DEMO_HIS_TOKEN
from portal.cards.keys import build_keyring
from portal.settings import AppSettings, Settings
from portal.staff.seed import DEMO_PASSWORD
from tests.browser.test_bills import card_of, switch
from tests.support.browser import KIOSK, add_member, audit_page, login, set_preferences


def _fathers_bills(url: str, id_number: str) -> None:
    """The hospital's system sends the father's registration fee and his lab tests."""
    patient = {"system": "id_number", "value": id_number}
    bills = [
        {
            "number": f"REG-{id_number}",
            "patient": patient,
            "title": "挂号费 · 心血管内科",
            "items": [
                {
                    "line": "1",
                    "code": "REG-CARD",
                    "name": "普通门诊挂号费",
                    "category": "registration",
                    "unit_price_fen": 5_000,
                }
            ],
        },
        {
            "number": f"LAB-{id_number}",
            "patient": patient,
            "title": "检验费 · 心血管内科",
            "guidance": "请到门诊楼 2 层抽血",
            "items": [
                {
                    "line": "1",
                    "code": "LAB-CBC",
                    "name": "血常规",
                    "category": "lab_test",
                    "unit_price_fen": 2_500,
                },
                {
                    "line": "2",
                    "code": "LAB-LFT",
                    "name": "肝功能",
                    "category": "lab_test",
                    "unit_price_fen": 4_800,
                },
            ],
        },
    ]
    answer = httpx.post(
        f"{url}/api/v1/bills",
        json={"bills": bills},
        headers={"Authorization": f"Bearer {DEMO_HIS_TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_the_daughter_pays_her_fathers_bills_from_her_office(
    page: Page, live_server: LiveServer, artifacts: Path, new_phone: str, tmp_path: Path
) -> None:
    set_preferences(page, live_server.url, mode="elder")
    page.goto("/login")
    page.wait_for_load_state("networkidle")
    login(page, new_phone)
    id_number = make_id_number("110101", date(1946, 4, 12), 131)
    add_member(
        page,
        {"relationship": "parent", "name": "赵德福", "id_number": id_number, "phone": new_phone},
    )
    _fathers_bills(live_server.url, id_number)
    switch(page, elder=True, english=False)
    page.get_by_role("link", name="手机缴费").click()
    due = page.locator(".amount-due .amount")
    expect(due).to_have_text("¥123.00")
    problems = audit_page(page)
    pay = page.get_by_role("button", name="为 赵*福 支付 ¥123.00")
    assert float(pay.evaluate("e => e.getBoundingClientRect().height")) >= 56
    pay.click()
    # The gateway's page (the sandbox stands in for WeChat Pay).
    page.wait_for_url("**/dev/pay/checkout/**")
    expect(page.locator(".amount")).to_have_text("¥123.00")
    problems += audit_page(page)
    page.screenshot(path=str(artifacts / "pay_gateway_elder_zh.png"), full_page=True)
    page.get_by_role("button", name="支付 ¥123.00").click()
    # Back at the hospital's page: paid, and what to do next.
    page.wait_for_url("**/bills/orders/**")
    expect(page.locator(".result-line.ok")).to_contain_text("已缴费")
    expect(page.locator(".next-steps")).to_contain_text("请到门诊楼 2 层抽血")
    expect(page.locator(".next-steps")).to_contain_text("就诊当天")
    order_page = page.url
    problems += audit_page(page)
    page.screenshot(path=str(artifacts / "pay_done_elder_zh.png"), full_page=True)
    page.get_by_role("link", name="查看电子票据").click()
    page.wait_for_url(re.compile(r"/receipts/[0-9a-f-]{36}$"))
    receipt_page = page.url
    for elder in (True, False):
        for english in (False, True):
            switch(page, elder=elder, english=english)
            name = f"{'elder' if elder else 'standard'}_{'en' if english else 'zh'}"
            page.goto(order_page)
            expect(page.locator(".result-line.ok")).to_be_visible()
            problems += audit_page(page)
            page.screenshot(path=str(artifacts / f"pay_done_{name}.png"), full_page=True)
            page.goto(receipt_page)
            problems += audit_page(page)
            page.goto("/bills")
            problems += audit_page(page)
    # The PDF receipt, read back: the amounts are in it, in words a person can check.
    page.goto(receipt_page)
    href = page.locator("a[href$='/pdf']").first.get_attribute("href") or ""
    pdf = page.request.get(live_server.url + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf.body())
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert all(f"¥{a}" in text for a in ("123.00", "50.00", "25.00", "48.00")), text
    assert "WeChat Pay" in text or "微信支付" in text, text
    assert re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text), text
    page.set_viewport_size(KIOSK)
    page.goto(order_page)
    problems += audit_page(page, reflow_check=False)
    page.screenshot(path=str(artifacts / "pay_done_kiosk.png"), full_page=True)
    assert not problems, "\n".join(problems)


def test_a_patient_pays_at_the_lobby_kiosk_with_her_phone(
    browser: Browser, page: Page, live_server: LiveServer, artifacts: Path, new_phone: str
) -> None:
    """Her son added her and the hospital billed her lab tests; at the lobby kiosk she scans her
    card, chooses to pay, scans the kiosk's QR code with her phone and pays there; the kiosk
    says paid, what to do next, and prints the slip."""
    page.goto("/login")
    page.wait_for_load_state("networkidle")
    login(page, new_phone)
    id_number = make_id_number("110101", date(1943, 9, 2), 282)
    add_member(
        page,
        {"relationship": "parent", "name": "孙桂兰", "id_number": id_number, "phone": new_phone},
    )
    _fathers_bills(live_server.url, id_number)  # the same two bills, hers this time
    number, generation = card_of(live_server.database_url, "孙桂兰")
    keyring = build_keyring(
        Settings(app=AppSettings(environment="development", secret_key=SERVER_SECRET))
    )
    problems: list[str] = []
    lobby = browser.new_context(base_url=live_server.url, viewport=KIOSK)
    phone_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    try:
        kiosk = lobby.new_page()
        kiosk.goto("/staff/login?next=/staff/kiosk")
        kiosk.fill("#f-username", "nurse")
        kiosk.fill("#f-password", DEMO_PASSWORD)
        kiosk.locator("form[action='/staff/login'] button[type=submit]").click()
        kiosk.wait_for_url("**/staff/kiosk")
        kiosk.fill("#f-name", "门诊大厅 2 号机")
        kiosk.locator("form[action='/staff/kiosk'] button[type=submit]").click()
        kiosk.wait_for_url(re.compile(r"/kiosk$"))
        kiosk.fill("#kiosk-code", ecard.issue_code(keyring, number, generation, time.time()))
        kiosk.keyboard.press("Enter")
        offer = kiosk.locator(".kiosk-pay-offer")
        expect(offer).to_contain_text("¥123.00")
        problems += audit_page(kiosk, reflow_check=False)
        offer.get_by_role("button").click()
        qr = kiosk.locator(".kiosk-qr svg")
        expect(qr).to_be_visible()
        expect(kiosk.locator("#kiosk-pay-status")).to_contain_text("¥123.00")
        problems += audit_page(kiosk, reflow_check=False)
        kiosk.screenshot(path=str(artifacts / "kiosk_pay_qr.png"), full_page=True)
        (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
        assert "/dev/pay/checkout/" in found.text, found.text
        # Her phone's camera opens the code: the gateway's page, where she pays.
        phone = phone_context.new_page()
        phone.goto(found.text)
        phone.get_by_role("button", name="支付 ¥123.00").click()
        expect(phone.locator(".result-line.ok")).to_be_visible()
        # The kiosk sees it by itself within a few seconds.
        paid = kiosk.locator("[data-outcome=paid]")
        expect(paid).to_be_visible(timeout=15_000)
        expect(paid).to_contain_text("请到门诊楼 2 层抽血")
        expect(paid.locator(".receipt-code")).to_have_text(re.compile(r"^[0-9A-Z-]{19}$"))
        expect(kiosk.locator("[data-print]")).to_be_visible()
        problems += audit_page(kiosk, reflow_check=False)
        kiosk.screenshot(path=str(artifacts / "kiosk_pay_done.png"), full_page=True)
    finally:
        lobby.close()
        phone_context.close()
    assert not problems, "\n".join(problems)
