"""Paying on the phone through the sandbox gateway: one tap, the payer's page, the return page
and the notifications, with the money taken exactly once."""

from __future__ import annotations

import json
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update

from portal.audit.models import AuditEvent
from portal.payments.connect import gateway_of
from portal.payments.models import (
    CAPTURED,
    EXTRA,
    PAID,
    PROCESSING,
    REFUNDED_OK,
    UNPAID,
    VOIDED,
    WECHAT,
    Bill,
    Payment,
    PayOrder,
    Refund,
)
from portal.payments.reconcile import DayReport, day_report
from portal.payments.wechatpay import encrypt_resource, sign, signed_headers
from portal.paysandbox.models import SandboxRefund
from tests.integration.payments.conftest import AUTH, count, lab_bill, send
from tests.support.client import PortalClient
from tests.support.paying import (
    checkout_of,
    deliver,
    follow,
    form_key,
    misbehave,
    pay_through,
    payer,
    platform,
    start,
)


def _bills(client: PortalClient) -> list[Bill]:
    async def work(db: Any) -> list[Bill]:
        return list(await db.scalars(select(Bill).order_by(Bill.created_at)))

    return client.db(work)


def _orders(client: PortalClient) -> list[PayOrder]:
    async def work(db: Any) -> list[PayOrder]:
        return list(await db.scalars(select(PayOrder).order_by(PayOrder.created_at)))

    return client.db(work)


def test_a_tap_pays_the_mothers_bills_through_the_sandbox(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    assert send(client, lab_bill("L-1", family["mother"]["card"])).status_code == 200
    bills = client.get("/bills").text
    assert "/bills/pay" in bills
    checkout, back = checkout_of(start(client, family["mother"]["id"]))
    page = client.get(checkout)
    assert page.status_code == 200 and "¥76.00" in page.text
    answer = payer(client, checkout, "pay", back)
    assert answer.headers["location"] == back
    # The notification has not come yet: the return page asks the gateway itself.
    done = client.get(back)
    assert done.status_code == 200
    assert "See the receipt" in done.text or "查看收据" in done.text or "/receipts/" in done.text
    (bill,) = _bills(client)
    assert bill.status == PAID
    (order,) = _orders(client)
    assert order.status == CAPTURED and order.amount_cents == 7600
    # Then the notification: taken already, nothing changes.
    assert deliver(client) == 1
    assert count(client, Payment) == 1
    (payment,) = client.db(lambda db: _all(db, Payment))
    assert payment.method == WECHAT and payment.amount_cents == 7600


async def _all(db: Any, model: Any) -> list[Any]:
    return list(await db.scalars(select(model)))


def test_a_late_notification_alone_takes_the_money(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-2", family["self"]["card"]))
    misbehave(client, duplicates=5)
    checkout, back = checkout_of(start(client, family["self"]["id"]))
    payer(client, checkout, "pay", back)
    assert deliver(client) == 5  # five copies, each answered 2xx
    assert count(client, Payment) == 1
    assert [b.status for b in _bills(client)] == [PAID]


def test_a_lost_notification_is_settled_by_the_follow_up(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-3", family["self"]["card"]))
    misbehave(client, drop_next=1)
    checkout, back = checkout_of(start(client, family["self"]["id"]))
    payer(client, checkout, "pay", back)
    assert deliver(client) == 0
    assert [b.status for b in _bills(client)] == [UNPAID]
    done = follow(client)
    assert done.asked == 1 and done.captured == 1
    assert [b.status for b in _bills(client)] == [PAID]


# -- notifications that must change nothing -------------------------------------------------


def _notification(
    client: PortalClient, transaction: dict[str, Any], *, event_type: str = "TRANSACTION.SUCCESS"
) -> tuple[bytes, dict[str, str]]:
    """A notification as the sandbox platform would sign and seal it."""
    keys = platform(client)
    body = json.dumps(
        {
            "id": "EV-test",
            "create_time": "2026-12-03T10:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": encrypt_resource(
                keys.api_v3_key, json.dumps(transaction).encode(), "transaction"
            ),
        }
    ).encode()
    headers = signed_headers(keys.platform_key, keys.platform_serial, body)
    headers["Content-Type"] = "application/json"
    return body, headers


def _paid_in_sandbox(client: PortalClient, patient_id: str) -> PayOrder:
    """An order paid on the sandbox's page whose notification is held back."""
    misbehave(client, delay_seconds=3600)
    checkout, back = checkout_of(start(client, patient_id))
    payer(client, checkout, "pay", back)
    (order,) = _orders(client)
    return order


def _transaction(client: PortalClient, order: PayOrder, **changes: Any) -> dict[str, Any]:
    keys = platform(client)
    transaction = {
        "mchid": keys.mchid,
        "appid": keys.appid,
        "out_trade_no": order.out_trade_no,
        "transaction_id": "4200000000000000000000000001",
        "trade_type": "MWEB",
        "trade_state": "SUCCESS",
        "amount": {"total": order.amount_cents, "currency": "CNY"},
    }
    transaction.update(changes)
    return transaction


NOTIFY = "/api/v1/payments/notify/wechatpay"


def _refusals(client: PortalClient) -> int:
    async def work(db: Any) -> int:
        return len(
            list(
                await db.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == "payment.notification",
                        AuditEvent.outcome == "refused",
                    )
                )
            )
        )

    return client.db(work)


def test_notifications_that_do_not_hold_are_refused_audited_and_change_nothing(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-4", family["self"]["card"]))
    order = _paid_in_sandbox(client, family["self"]["id"])
    good = _transaction(client, order)
    refused = []
    # A tampered signature: the body changed after signing.
    body, headers = _notification(client, good)
    refused.append(
        client.post(NOTIFY, content=body.replace(b"EV-test", b"EV-tamp"), headers=headers)
    )
    # A signature by another key.
    body, headers = _notification(client, good)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers["Wechatpay-Signature"] = sign(other, b"anything")
    refused.append(client.post(NOTIFY, content=body, headers=headers))
    # An unknown platform serial; no signature at all; a stale timestamp.
    body, headers = _notification(client, good)
    refused.append(client.post(NOTIFY, content=body, headers={**headers, "Wechatpay-Serial": "X"}))
    refused.append(client.post(NOTIFY, content=body, headers={"Content-Type": "application/json"}))
    stale = str(int(time.time()) - 3600)
    keys = platform(client)
    old = signed_headers(keys.platform_key, keys.platform_serial, body, timestamp=stale)
    refused.append(client.post(NOTIFY, content=body, headers=old))
    assert [r.status_code for r in refused] == [401] * 5
    # A wrong amount, another merchant's order, an unknown order: signed, but not ours.
    for transaction in (
        _transaction(client, order, amount={"total": 1, "currency": "CNY"}),
        _transaction(client, order, mchid="1230000109"),
        _transaction(client, order, out_trade_no="YMT000000000000NOSUCHORDER"),
    ):
        body, headers = _notification(client, transaction)
        answer = client.post(NOTIFY, content=body, headers=headers)
        assert answer.status_code == 400 and answer.json()["code"] == "FAIL"
    # A resource sealed under another key.
    body, headers = _notification(client, good)
    event = json.loads(body)
    event["resource"] = encrypt_resource(b"k" * 32, json.dumps(good).encode(), "transaction")
    forged = json.dumps(event).encode()
    answer = client.post(
        NOTIFY,
        content=forged,
        headers=signed_headers(keys.platform_key, keys.platform_serial, forged),
    )
    assert answer.status_code == 400
    assert _refusals(client) == 9
    assert count(client, Payment) == 0
    assert [b.status for b in _bills(client)] == [UNPAID]
    # The real one is taken; the same signed message again is a replay.
    body, headers = _notification(client, good)
    assert client.post(NOTIFY, content=body, headers=headers).status_code == 204
    assert client.post(NOTIFY, content=body, headers=headers).status_code == 401
    assert count(client, Payment) == 1 and _refusals(client) == 10
    assert [b.status for b in _bills(client)] == [PAID]


def test_nothing_the_browser_posts_is_an_amount(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-5", family["self"]["card"]))
    page = client.get("/bills").text
    answer = client.submit(
        "/bills/pay",
        {
            "patient": family["self"]["id"],
            "key": form_key(page),
            "amount": "-100",
            "amount_cents": "1",
            "total": "0",
        },
    )
    assert answer.status_code == 303
    (order,) = _orders(client)
    assert order.amount_cents == 7600


def test_a_double_tap_and_a_second_phone_get_the_same_order(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-6", family["mother"]["card"]))
    page = client.get("/bills").text
    key = form_key(page)
    first = start(client, family["mother"]["id"], key=key)
    again = start(client, family["mother"]["id"], key=key)
    other = start(client, family["mother"]["id"])  # another page's form: another key
    assert first.headers["location"] == again.headers["location"] == other.headers["location"]
    assert len(_orders(client)) == 1
    checkout, back = checkout_of(first)
    payer(client, checkout, "pay", back)
    # Paid once: the gateway's page refuses to take it again, and the pay button is gone.
    second = payer(client, checkout, "pay", back)
    assert second.status_code == 303
    assert deliver(client) == 1
    assert count(client, Payment) == 1
    assert "/bills/pay" not in client.get("/bills").text


def test_money_taken_for_bills_paid_meanwhile_goes_back_on_its_own(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    """Two family members pay the same bill: the cashier took it while the phone's order was
    open, then the phone paid too. The second capture is refunded in full, and shown."""
    send(client, lab_bill("L-7", family["mother"]["card"]))
    order = _paid_in_sandbox(client, family["mother"]["id"])

    async def paid_at_window(db: Any) -> None:
        await db.execute(update(Bill).values(status=PAID))
        await db.commit()

    client.db(paid_at_window)
    misbehave(client)
    page = client.get(f"/bills/orders/{order.id}")
    assert page.status_code == 200
    (order,) = _orders(client)
    assert order.extra and order.payment_id is None
    (refund,) = client.db(lambda db: _all(db, Refund))
    assert refund.amount_cents == 7600 and refund.reason == EXTRA
    assert refund.status == PROCESSING  # asked for at once; the gateway is working on it
    deliver(client)  # the sandbox finishes the refund and notifies (and the held payment notice)
    deliver(client)
    (refund,) = client.db(lambda db: _all(db, Refund))
    assert refund.status == REFUNDED_OK and refund.refund_id
    assert count(client, Payment) == 0
    text = client.get(f"/bills/orders/{order.id}").text
    assert "¥76.00" in text


def test_a_voided_line_of_a_bill_paid_on_the_phone_comes_back_in_part(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-8", family["self"]["card"]))
    client.get(pay_through(client, family["self"]["id"]))
    answer = client.post("/api/v1/bills/L-8/voids", json={"lines": ["2"]}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    (refund,) = client.db(lambda db: _all(db, Refund))
    assert refund.amount_cents == 4800 and refund.reason == VOIDED
    assert follow(client).refunds_sent == 1
    deliver(client)
    (refund,) = client.db(lambda db: _all(db, Refund))
    assert refund.status == REFUNDED_OK
    (bill,) = _bills(client)
    assert bill.status == PAID and bill.total_cents == 2800
    (payment,) = client.db(lambda db: _all(db, Payment))
    receipt = client.get(f"/receipts/{payment.id}").text
    assert "¥48.00" in receipt and "已原路退回" in receipt
    # Voiding it again gives nothing more back.
    client.post("/api/v1/bills/L-8/voids", json={"lines": ["2"]}, headers=AUTH)
    assert count(client, Refund) == 1


def _report(client: PortalClient) -> DayReport:
    async def run() -> DayReport:
        state = client.app.state
        gateway = await gateway_of(client.app)
        async with state.db_sessions() as session:
            return await day_report(session, gateway, state.clock.today(), state.clock.zone)

    assert client.blocking_portal is not None
    return client.blocking_portal.call(run)


def test_the_days_report_matches_the_gateway_and_names_what_does_not(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(
        client, lab_bill("L-9", family["self"]["card"]), lab_bill("L-10", family["mother"]["card"])
    )
    client.get(pay_through(client, family["self"]["id"]))
    client.get(pay_through(client, family["mother"]["id"]))
    client.post("/api/v1/bills/L-9/voids", json={"lines": ["1"]}, headers=AUTH)
    follow(client)
    deliver(client)
    report = _report(client)
    assert report.orders == 2 and report.balanced, report.differences
    assert report.captured_cents == report.gateway_captured_cents == 15_200
    assert report.refunded_cents == report.gateway_refunded_cents == 2_500

    async def forget_a_capture(db: Any) -> None:  # a capture we lost track of
        order = await db.scalar(select(PayOrder).order_by(PayOrder.created_at).limit(1))
        order.status = "open"
        await db.commit()

    client.db(forget_a_capture)
    report = _report(client)
    assert not report.balanced and report.captured_cents == 7_600
    assert "we recorded 0 fen taken, the gateway 7600 fen" in report.differences[0]


def test_a_refund_asked_for_again_and_again_goes_back_once(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-11", family["self"]["card"]))
    client.get(pay_through(client, family["self"]["id"]))
    client.post("/api/v1/bills/L-11/voids", json={"lines": ["3"]}, headers=AUTH)
    (refund,) = client.db(lambda db: _all(db, Refund))

    async def ask_again(db: Any) -> None:  # what a retry after a lost answer does
        await db.execute(update(Refund).values(status="requested"))
        await db.commit()

    for _ in range(3):
        follow(client)
        client.db(ask_again)
    follow(client)
    deliver(client)
    deliver(client)
    assert client.db(lambda db: _all(db, SandboxRefund))[0].amount_refund == 300
    assert len(client.db(lambda db: _all(db, SandboxRefund))) == 1
    (refund,) = client.db(lambda db: _all(db, Refund))
    assert refund.status == REFUNDED_OK and refund.amount_cents == 300


def test_the_sandbox_sends_the_browser_back_only_to_this_site(
    client: PortalClient, family: dict[str, dict[str, str]]
) -> None:
    send(client, lab_bill("L-12", family["self"]["card"]))
    checkout, _back = checkout_of(start(client, family["self"]["id"]))
    for elsewhere in (
        "https://evil.example/x",
        "//evil.example/x",
        "http://testserver.local//evil.example/x",
        "/\\\\evil.example",
        "javascript:alert(1)",
    ):
        answer = payer(client, checkout, "cancel", elsewhere)
        assert answer.status_code == 200, (elsewhere, answer.headers.get("location"))
