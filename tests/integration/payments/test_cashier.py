"""The cashier's window: scanning the patient's live code lists their unpaid bills with the
insurance share; the cashier records cash or card, and a bill is paid exactly once."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.touchpoints import Role, Touchpoint
from portal.payments.models import Bill, InsuranceYear, Payment
from tests.integration.payments.conftest import count, item, lab_bill, send
from tests.support.cards import card_of, live_code, make_staff, staff_login
from tests.support.client import PortalClient
from tests.support.people import MOTHER

KEY = re.compile(r'name="key" value="([^"]+)"')
BILL = re.compile(r'name="bills" value="([0-9a-f-]{36})"')
PATIENT = re.compile(r'name="patient" value="([0-9a-f-]{36})"')
EXPECTED = re.compile(r'name="expected" value="(-?[0-9]+)"')


def scan_at_cashier(client: PortalClient, later: int = 0) -> dict[str, Any]:
    """The cashier scans the mother's live code (one of ``later`` seconds from now: a live code
    is taken once at a desk); the desk's form as the page shows it."""
    at = client.app.state.clock.now().timestamp() + later
    code = live_code(client, card_of(client, MOTHER["name"]), at=at)
    response = client.submit("/staff/scan/cashier", {"code": code})
    assert response.status_code == 200, response.text
    page = response.text
    key, patient, expected = KEY.search(page), PATIENT.search(page), EXPECTED.search(page)
    return {
        "page": page,
        "key": key[1] if key else None,
        "expected": expected[1] if expected else None,
        "patient": patient[1] if patient else None,
        "bills": BILL.findall(page),
    }


def pay(client: PortalClient, desk: dict[str, Any], method: str = "cash", **changes: Any) -> Any:
    form = {
        "patient": changes.get("patient", desk["patient"]),
        "key": changes.get("key", desk["key"]),
        "expected": changes.get("expected", desk["expected"]),
        "method": method,
        "bills": changes.get("bills", desk["bills"]),
    }
    return client.submit("/staff/cashier/payments", form)


def set_scheme(client: PortalClient, family: Any, scheme: str) -> None:
    response = client.submit(f"/bills/insurance/{family['mother']['id']}", {"scheme": scheme})
    assert response.status_code == 303, response.text


def cashier(client: PortalClient, family: Any) -> None:
    """Bills from the hospital, the mother in the residents' scheme, a cashier at the window."""
    send(
        client,
        lab_bill(
            "MZ001",
            family["mother"]["card"],
            item("1", "空腹血糖", "lab_test", 1000) | {"insurance_class": "A"},
            item("2", "糖化血红蛋白", "lab_test", 6000) | {"insurance_class": "B"},
            item("3", "采血针", "material", 150),
        ),
        lab_bill(
            "MZ002",
            family["mother"]["card"],
            item("1", "胸片", "examination", 8000) | {"insurance_class": "A"},
        ),
    )
    set_scheme(client, family, "urban_rural_resident")
    make_staff(client, "cash1", Role.CASHIER, [Touchpoint.CASHIER])
    staff_login(client, "cash1")


def test_the_scan_lists_the_unpaid_bills_with_the_share(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    assert len(desk["bills"]) == 2 and desk["key"]
    page = desk["page"]
    assert "城乡居民医保" in page
    # MZ001: (1,000 + 5,400) × 50 % = 32.00 by insurance; MZ002: 40.00.
    assert "总额 ¥71.50 · 医保 ¥32.00 · 个人支付 ¥39.50" in page
    assert "总额 ¥80.00 · 医保 ¥40.00 · 个人支付 ¥40.00" in page
    assert "¥79.50" in page  # to take for both


def test_recording_cash_pays_the_bills_and_settles_the_share(
    client: PortalClient, family: Any
) -> None:
    cashier(client, family)
    response = pay(client, scan_at_cashier(client))
    assert response.status_code == 200, response.text
    assert "收款已记录" in response.text and "¥79.50" in response.text

    async def state(db: Any) -> Any:
        payment = await db.scalar(select(Payment))
        bills = list(await db.scalars(select(Bill).order_by(Bill.number)))
        year = await db.scalar(select(InsuranceYear))
        return payment, bills, year

    payment, bills, year = client.db(state)
    assert (payment.method, payment.amount_cents, payment.insurance_cents) == ("cash", 7950, 7200)
    assert [(b.status, b.insurance_cents, b.payment_id) for b in bills] == [
        ("paid", 3200, payment.id),
        ("paid", 4000, payment.id),
    ]
    assert year.paid_cents == 7200  # counted against the year's cap
    assert "Staff cash1" in payment.taken_by
    assert "没有待缴费用" in scan_at_cashier(client, later=30)["page"]  # nothing left to pay


def test_a_double_submission_is_one_payment(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    first = pay(client, desk)
    again = pay(client, desk)
    assert first.status_code == 200 and again.status_code == 200
    assert "已经记录过：没有重复收款" in again.text
    assert count(client, Payment) == 1

    async def audited(db: Any) -> int:
        query = select(func.count()).select_from(AuditEvent)
        return int(await db.scalar(query.where(AuditEvent.action == "payment.window")))

    assert client.db(audited) == 1


def test_a_second_form_for_bills_just_paid_is_refused_in_words(
    client: PortalClient, family: Any
) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    pay(client, desk)
    late = pay(client, desk, key="another-window-0123456789")
    assert late.status_code == 409 and "刚刚已缴费" in late.text
    assert count(client, Payment) == 1


def test_nothing_the_form_says_changes_the_amount(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    # Only the bills and the method come from the form; amounts are worked out here.
    response = client.submit(
        "/staff/cashier/payments",
        {
            "patient": desk["patient"],
            "key": desk["key"],
            "method": "cash",
            "bills": desk["bills"][0],
            "expected": "3950",
            "amount": "-100",
            "total": "0",
        },
    )
    assert response.status_code == 200

    async def paid(db: Any) -> int:
        return int(await db.scalar(select(Payment.amount_cents)))

    assert client.db(paid) == 3950


def test_bad_forms_change_nothing(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    assert pay(client, desk, method="wechat").status_code == 422
    assert pay(client, desk, bills=[]).status_code == 422
    assert pay(client, desk, bills=["00000000-0000-0000-0000-000000000000"]).status_code == 409
    assert pay(client, desk, key="").status_code == 422
    assert pay(client, desk, patient="not-an-id").status_code == 400
    assert pay(client, desk, patient=family["self"]["id"]).status_code == 409  # not her bills
    assert count(client, Payment) == 0


def test_only_the_cashiers_desk_takes_money(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    make_staff(client, "nurse9", Role.NURSE, [Touchpoint.TRIAGE])
    staff_login(client, "nurse9")
    assert pay(client, desk).status_code == 403
    assert count(client, Payment) == 0


def test_the_family_gets_a_receipt_anyone_can_check(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    pay(client, scan_at_cashier(client), method="card")

    async def payment(db: Any) -> Payment:
        return await db.scalar(select(Payment))

    paid = client.db(payment)
    listing = client.get("/receipts").text
    assert f"票据 {paid.receipt_code}" in listing and "¥79.50" in listing and "银行卡" in listing
    page = client.get(f"/receipts/{paid.id}").text
    for words in (
        "门诊收费电子票据",
        "空腹血糖",
        "胸片",
        "¥151.50",
        "¥72.00",
        "¥79.50",
        paid.receipt_code,
    ):
        assert words in page, words
    assert "采血针" in page  # a class C line is on the receipt, paid by the patient

    # A paid bill links its receipt.
    async def bill_id(db: Any) -> str:
        return str(await db.scalar(select(Bill.id).where(Bill.number == "MZ001")))

    assert f"/receipts/{paid.id}" in client.get(f"/bills/{client.db(bill_id)}").text

    typed = paid.receipt_code.replace("-", "").lower().replace("0", "o")
    client.cookies.clear()  # anyone, logged in or not
    check = client.get(f"/receipts/check?code={typed}")
    assert check.status_code == 200 and "票据真实有效" in check.text and "¥79.50" in check.text
    assert "王" not in check.text.split("<main", 1)[1]  # never who paid
    for wrong in ("AAAA-BBBB-CCCC-DDDD", "x" * 10_000, "１２３４", "7K3M-Q9TB-2XWD-H4R"):
        answer = client.get("/receipts/check", params={"code": wrong})
        assert answer.status_code == 200 and "没有找到这个校验码的票据" in answer.text
    assert client.get("/receipts/check", params={"code": "\x00"}).status_code == 400


def test_nobody_sees_another_familys_receipt(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    pay(client, scan_at_cashier(client))

    async def payment_id(db: Any) -> str:
        return str(await db.scalar(select(Payment.id)))

    theirs = client.db(payment_id)
    client.cookies.clear()
    client.log_in("13700000999")
    assert client.get(f"/receipts/{theirs}").status_code == 404
    assert "还没有缴费记录" in client.get("/receipts").text


def test_lines_added_after_the_scan_stop_the_payment_and_show_the_new_amount(
    client: PortalClient, family: Any
) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    # The hospital adds an injection to the X-ray bill while the patient stands at the window.
    send(
        client,
        lab_bill(
            "MZ002",
            family["mother"]["card"],
            item("1", "胸片", "examination", 8000) | {"insurance_class": "A"},
            item("2", "注射费", "material", 1200),
        ),
    )
    changed = pay(client, desk)
    assert changed.status_code == 409 and "应收金额有变化" in changed.text
    assert count(client, Payment) == 0
    assert 'name="expected" value="9150"' in changed.text  # 39.50 + 40.00 + 12.00, shown
    again = {**desk, "key": KEY.search(changed.text)[1]}  # type: ignore[index]
    assert pay(client, again | {"expected": "9150"}).status_code == 200
    assert count(client, Payment) == 1


def test_choosing_some_bills_shows_their_amount_before_anything_is_taken(
    client: PortalClient, family: Any
) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    first = desk["bills"][:1]
    shown = pay(client, desk, bills=first)
    assert shown.status_code == 409 and count(client, Payment) == 0
    assert 'name="expected" value="3950"' in shown.text
    assert shown.text.count("checked") == 2  # the chosen bill, and cash
    taken = pay(client, desk, bills=first, key=KEY.search(shown.text)[1], expected="3950")  # type: ignore[index]
    assert taken.status_code == 200 and "¥39.50" in taken.text
    assert count(client, Payment) == 1


def test_a_form_key_is_one_patients_and_plain(client: PortalClient, family: Any) -> None:
    cashier(client, family)
    desk = scan_at_cashier(client)
    pay(client, desk)
    other = pay(client, desk, patient=family["self"]["id"])  # the same form, for her daughter
    assert other.status_code == 422 and "过期" in other.text
    for key in ("\x00" * 20, "short", "x" * 65, "有中文的钥匙有中文的钥匙有中文的钥匙"):
        assert pay(client, desk, key=key).status_code in (400, 422), key
    assert count(client, Payment) == 1


def test_changing_the_insurance_type_is_audited(client: PortalClient, family: Any) -> None:
    set_scheme(client, family, "urban_employee")
    set_scheme(client, family, "urban_employee")  # twice: one row, no error

    async def audited(db: Any) -> list[str]:
        rows = await db.scalars(
            select(AuditEvent.outcome).where(AuditEvent.action == "insurance.scheme")
        )
        return list(rows)

    assert client.db(audited) == ["urban_employee", "urban_employee"]


def test_the_receipt_downloads_as_a_pdf_with_its_font(
    client: PortalClient, family: Any, tmp_path: Any
) -> None:
    import subprocess

    cashier(client, family)
    pay(client, scan_at_cashier(client))

    async def payment(db: Any) -> Payment:
        return await db.scalar(select(Payment))

    paid = client.db(payment)
    response = client.get(f"/receipts/{paid.id}/pdf")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="receipt-{paid.receipt_code}.pdf"' in response.headers["content-disposition"]
    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in (
        "门诊收费电子票据",
        "王*英",
        "空腹血糖",
        "¥79.50",
        "¥72.00",
        "¥151.50",
        paid.receipt_code,
        "/receipts/check",
    ):
        assert words in text, (words, text)
    assert "王秀英" not in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "NotoSansCJK" in fonts and " yes yes " in fonts  # embedded, as a subset

    assert client.submit("/settings/language", {"locale": "en", "next": "/"}).status_code == 303
    english = client.get(f"/receipts/{paid.id}/pdf")
    path.write_bytes(english.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Paid by the patient" in text and "Cash" in text

    client.cookies.clear()
    client.log_in("13700000999")
    assert client.get(f"/receipts/{paid.id}/pdf").status_code == 404
