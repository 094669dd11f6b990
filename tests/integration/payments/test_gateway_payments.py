"""Paying on the phone through the sandbox gateway: one tap, the payer's page, the return page
and the notifications, with the money taken exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.payments.models import (
    CAPTURED,
    PAID,
    UNPAID,
    WECHAT,
    Bill,
    Payment,
    PayOrder,
)
from tests.integration.payments.conftest import count, lab_bill, send
from tests.support.client import PortalClient
from tests.support.paying import (
    checkout_of,
    deliver,
    follow,
    misbehave,
    payer,
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
