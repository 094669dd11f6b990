"""The money is taken once, against running servers (uvicorn in child processes), on SQLite and
on PostgreSQL (one process, and two with Redis between them):

- twenty copies of the payment's notification arrive while the return page asks twenty times;
- two hundred taps on pay for one bill, then two hundred taps on the gateway's pay button.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ecard.numbers import new_card_number
from harness import crowd as surge
from harness.server import IMPORT_TOKEN
from portal.audit.models import AuditEvent
from portal.cards.models import ECard
from portal.payments.models import Bill, Payment, PayOrder
from portal.payments.wechatpay import encrypt_resource, signed_headers
from portal.paysandbox.models import SandboxOrder
from portal.paysandbox.services import Chaos, SandboxKeys, set_chaos, transaction_json
from tests.support import aio
from tests.support.live_servers import KINDS, Live, live_servers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-gateway")]
NOTIFY = "/api/v1/payments/notify/wechatpay"


@pytest.fixture(scope="module", params=KINDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Live]:
    with live_servers(request.param, tmp_path_factory.mktemp("live"), f"{worker_id}_gw") as on:
        yield on


async def _family(live: Live, db: surge.Database, n: int) -> tuple[surge.Patron, str, list[str]]:
    """A logged-in account managing one patient with a card and two lab bills."""
    ((phone, (patient,)),) = await db.add_families(1, first=500 + n, sizes=(1,))
    card = new_card_number()

    async def work(session: Any) -> None:
        session.add(ECard(patient_id=patient, card_number=card, generation=0, active=True))
        await session.commit()

    await db.run(work)
    bills = [
        {
            "number": f"GW-{n}-{i}",
            "patient": {"system": "card_number", "value": card},
            "title": "检验费",
            "items": [
                {
                    "line": "1",
                    "code": "LAB",
                    "name": "血常规",
                    "category": "lab_test",
                    "unit_price_fen": 2_500 * (i + 1),
                }
            ],
        }
        for i in range(2)
    ]
    async with httpx.AsyncClient(base_url=live.url_for(0), timeout=60) as http:
        answer = await http.post(
            "/api/v1/bills",
            json={"bills": bills},
            headers={"Authorization": f"Bearer {IMPORT_TOKEN}"},
        )
        assert answer.status_code == 200, answer.text
    (patron,) = await surge.patrons(live.url_for, db, [(phone, [patient])])
    return patron, patient, [b["number"] for b in bills]


def _browsers(live: Live, patron: surge.Patron, count: int) -> list[httpx.AsyncClient]:
    """``count`` browsers sharing the patron's login, spread over the servers."""
    browsers = []
    for n in range(count):
        http = httpx.AsyncClient(base_url=live.url_for(n), timeout=120)
        http.cookies.update(patron.http.cookies)
        browsers.append(http)
    return browsers


async def _sandbox_chaos(db: surge.Database, chaos: Chaos) -> None:
    async def work(session: Any) -> None:
        await set_chaos(session, chaos)

    await db.run(work)


async def _state(db: surge.Database, patient: str) -> tuple[int, int, list[str], int]:
    async def work(session: Any) -> tuple[int, int, list[str], int]:
        payments = await session.scalar(
            select(func.count()).select_from(Payment).where(Payment.patient_id == patient)
        )
        orders = await session.scalar(
            select(func.count()).select_from(PayOrder).where(PayOrder.patient_id == patient)
        )
        statuses = list(
            await session.scalars(select(Bill.status).where(Bill.patient_id == patient))
        )
        captured = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "payment.online",
                AuditEvent.patient_id == UUID(patient),
                AuditEvent.outcome == "captured",
            )
        )
        return int(payments), int(orders), statuses, int(captured)

    return await db.run(work)


async def _notifications_race(live: Live, n: int) -> None:
    db = surge.Database(live.database_url)
    try:
        # The servers' own postman holds its notifications back: the test sends them.
        await _sandbox_chaos(db, Chaos(delay_seconds=3600))
        patron, patient, _numbers = await _family(live, db, n)
        answer = await patron.post(
            "/bills/pay", {"patient": patient, "key": secrets.token_urlsafe(24)}
        )
        assert answer.status_code == 303, answer.text[:300]
        checkout = urlsplit(answer.headers["location"]).path
        assert (await patron.post(checkout, {"action": "pay"})).status_code == 200

        async def sandbox(session: Any) -> tuple[SandboxOrder, PayOrder]:
            order = await session.scalar(select(PayOrder).where(PayOrder.patient_id == patient))
            theirs = await session.scalar(
                select(SandboxOrder).where(SandboxOrder.out_trade_no == order.out_trade_no)
            )
            return theirs, order

        theirs, order = await db.run(sandbox)
        keys = await SandboxKeys().platform(async_sessionmaker(db.engine))
        plain = json.dumps(transaction_json(theirs)).encode()
        body = json.dumps(
            {
                "id": "EV-race",
                "create_time": "2026-12-03T10:00:00+08:00",
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": encrypt_resource(keys.api_v3_key, plain, "transaction"),
            }
        ).encode()
        gateway = [httpx.AsyncClient(base_url=live.url_for(k), timeout=120) for k in range(20)]
        browsers = _browsers(live, patron, 20)
        gate = asyncio.Event()

        async def notify(http: httpx.AsyncClient) -> int:
            headers = signed_headers(keys.platform_key, keys.platform_serial, body)
            await gate.wait()
            return (await http.post(NOTIFY, content=body, headers=headers)).status_code

        async def poll(http: httpx.AsyncClient) -> int:
            await gate.wait()
            return (await http.get(f"/bills/orders/{order.id}")).status_code

        tasks = [asyncio.create_task(notify(h)) for h in gateway]
        tasks += [asyncio.create_task(poll(h)) for h in browsers]
        await asyncio.sleep(0.1)
        gate.set()
        try:
            answers = await asyncio.gather(*tasks)
        finally:
            await asyncio.gather(*(h.aclose() for h in [*gateway, *browsers]))
            await surge.close([patron])
        payments, orders, statuses, captured = await _state(db, patient)
    finally:
        await db.close()
    assert Counter(answers[:20]) == Counter({204: 20}), Counter(answers[:20])
    assert Counter(answers[20:]) == Counter({200: 20}), Counter(answers[20:])
    assert (payments, orders, statuses, captured) == (1, 1, ["paid", "paid"], 1)


async def _taps_race(live: Live, n: int) -> None:
    db = surge.Database(live.database_url)
    try:
        await _sandbox_chaos(db, Chaos())  # the servers' postman sends as it should
        patron, patient, _numbers = await _family(live, db, n)
        browsers = _browsers(live, patron, 10)
        csrf = patron.csrf
        gate = asyncio.Event()

        async def tap(k: int) -> httpx.Response:
            await gate.wait()
            return await browsers[k % len(browsers)].post(
                "/bills/pay",
                data={"_csrf_token": csrf, "patient": patient, "key": secrets.token_urlsafe(24)},
            )

        tasks = [asyncio.create_task(tap(k)) for k in range(200)]
        await asyncio.sleep(0.1)
        gate.set()
        taps = await asyncio.gather(*tasks)
        assert Counter(t.status_code for t in taps) == Counter({303: 200})
        pages = {urlsplit(t.headers["location"]).path for t in taps}
        assert len(pages) == 1, "one payment page for one set of bills"
        (checkout,) = pages
        gate = asyncio.Event()

        async def pay(k: int) -> int:
            await gate.wait()
            answer = await browsers[k % len(browsers)].post(
                checkout, data={"_csrf_token": csrf, "action": "pay"}
            )
            return answer.status_code

        tasks2 = [asyncio.create_task(pay(k)) for k in range(200)]
        await asyncio.sleep(0.1)
        gate.set()
        paid = await asyncio.gather(*tasks2)
        assert Counter(paid) == Counter({200: 200})
        # The servers' postman delivers the notification within a second or two.
        for _ in range(100):
            payments, orders, statuses, captured = await _state(db, patient)
            if payments:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # and whatever else might still come

        async def sandbox_paid(session: Any) -> int:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(SandboxOrder)
                    .where(SandboxOrder.trade_state == "SUCCESS")
                )
            )

        successes = await db.run(sandbox_paid)
        payments, orders, statuses, captured = await _state(db, patient)
        await asyncio.gather(*(h.aclose() for h in browsers))
        await surge.close([patron])
    finally:
        await db.close()
    assert (payments, orders, statuses, captured) == (1, 1, ["paid", "paid"], 1)
    assert successes >= 1


def test_twenty_notifications_racing_twenty_return_pages_take_the_money_once(live: Live) -> None:
    aio.run(_notifications_race(live, 1))


def test_two_hundred_taps_on_one_bill_make_one_order_and_take_it_once(live: Live) -> None:
    aio.run(_taps_race(live, 2))
