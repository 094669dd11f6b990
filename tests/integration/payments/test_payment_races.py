"""A bill is paid exactly once, against a running server (uvicorn in a child process), on SQLite
and on PostgreSQL (one process, and two with Redis between them): twenty cashiers' screens submit
the same bills at the same moment, with twenty different forms and then twenty copies of one."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from ecard.numbers import new_card_number
from harness import crowd as surge
from harness.server import IMPORT_TOKEN
from portal.cards.models import ECard
from portal.core.touchpoints import Role, Touchpoint
from portal.payments.insurance import set_scheme
from portal.payments.models import URBAN_EMPLOYEE, Bill, InsuranceYear, Payment
from portal.staff.services import StaffService
from tests.support import aio
from tests.support.live_servers import KINDS, Live, live_servers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-payments")]
PASSWORD = "cashier-race-password-0123"
SCREENS = 20


@pytest.fixture(scope="module", params=KINDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Live]:
    with live_servers(request.param, tmp_path_factory.mktemp("live"), f"{worker_id}_pay") as on:
        yield on


async def _patient_with_bills(live: Live, db: surge.Database, n: int) -> tuple[str, list[str]]:
    """A patient with a card, in the employees' scheme, and two bills from the hospital."""
    ((_phone, (patient, *_)),) = await db.add_families(1, first=n, sizes=(1,))
    card = new_card_number()

    async def work(session: Any) -> None:
        session.add(ECard(patient_id=patient, card_number=card, generation=0, active=True))
        await set_scheme(session, UUID(patient), URBAN_EMPLOYEE)
        await session.commit()

    await db.run(work)
    bills = [
        {
            "number": f"RACE-{n}-{i}",
            "patient": {"system": "card_number", "value": card},
            "title": "检验费",
            "items": [
                {
                    "line": "1",
                    "code": "LAB",
                    "name": "血常规",
                    "category": "lab_test",
                    "unit_price_fen": 25_000 * (i + 1),
                    "insurance_class": "A",
                }
            ],
        }
        for i in range(2)
    ]
    async with httpx.AsyncClient(base_url=live.url_for(0), timeout=60) as http:
        response = await http.post(
            "/api/v1/bills",
            json={"bills": bills},
            headers={"Authorization": f"Bearer {IMPORT_TOKEN}"},
        )
        assert response.status_code == 200, response.text

    async def ids(session: Any) -> list[str]:
        rows = await session.scalars(
            select(Bill.id).where(Bill.patient_id == patient).order_by(Bill.number)
        )
        return [str(row) for row in rows]

    return patient, await db.run(ids)


async def _screens(live: Live, db: surge.Database, username: str) -> list[httpx.AsyncClient]:
    """``SCREENS`` cashier's screens, each logged in (a session of its own)."""

    async def staff(session: Any) -> None:
        await StaffService(session=session).create_staff(
            username=username,
            display_name=f"收费 {username}",
            password=PASSWORD,
            role=Role.CASHIER,
            touchpoints=[Touchpoint.CASHIER],
        )
        await session.commit()

    await db.run(staff)
    screens = []
    for n in range(SCREENS):
        http = httpx.AsyncClient(base_url=live.url_for(n), timeout=120)
        await http.get("/staff/login")
        response = await http.post(
            "/staff/login",
            data={
                "username": username,
                "password": PASSWORD,
                "_csrf_token": http.cookies.get("ymt_csrf") or "",
            },
        )
        assert response.status_code == 303, response.text[:300]
        screens.append(http)
    return screens


async def _all_at_once(
    screens: list[httpx.AsyncClient], forms: list[dict[str, Any]]
) -> list[httpx.Response]:
    gate = asyncio.Event()

    async def one(http: httpx.AsyncClient, form: dict[str, Any]) -> httpx.Response:
        await gate.wait()
        return await http.post(
            "/staff/cashier/payments",
            data={**form, "_csrf_token": http.cookies.get("ymt_csrf") or ""},
        )

    tasks = [asyncio.create_task(one(h, f)) for h, f in zip(screens, forms, strict=True)]
    await asyncio.sleep(0.1)
    gate.set()
    return list(await asyncio.gather(*tasks))


async def _state(db: surge.Database, patient: str) -> tuple[int, list[str], int]:
    async def work(session: Any) -> tuple[int, list[str], int]:
        payments = await session.scalar(
            select(func.count()).select_from(Payment).where(Payment.patient_id == patient)
        )
        statuses = list(
            await session.scalars(select(Bill.status).where(Bill.patient_id == patient))
        )
        paid = await session.scalar(
            select(InsuranceYear.paid_cents).where(InsuranceYear.patient_id == patient)
        )
        return int(payments), statuses, int(paid or 0)

    return await db.run(work)


async def _race(live: Live, *, one_form: bool, n: int) -> None:
    db = surge.Database(live.database_url)
    try:
        patient, bills = await _patient_with_bills(live, db, n)
        screens = await _screens(live, db, f"cash{n}")
        key = secrets.token_urlsafe(24)
        forms = [
            {
                "patient": patient,
                "bills": bills,
                "method": "cash",
                "expected": "29500",  # ¥750 less the ¥455 insurance pays, as the screen showed
                "key": key if one_form else secrets.token_urlsafe(24),
            }
            for _ in screens
        ]
        try:
            answers = await _all_at_once(screens, forms)
        finally:
            await asyncio.gather(*(s.aclose() for s in screens))
        kinds = Counter(
            "recorded"
            if "收款已记录" in r.text
            else "again"
            if "已经记录过" in r.text
            else "refused"
            if r.status_code == 409 and "刚刚已缴费" in r.text
            else f"http {r.status_code}"
            for r in answers
        )
        payments, statuses, insurance_paid = await _state(db, patient)
    finally:
        await db.close()
    assert payments == 1, kinds
    assert statuses == ["paid", "paid"]
    # Employees' scheme: the first ¥100 of ¥750 is the deductible, 70 % of the other ¥650.
    assert insurance_paid == 45_500, "the year counted the share once"
    assert kinds["recorded"] == 1, kinds
    if one_form:
        assert kinds == Counter(recorded=1, again=SCREENS - 1), kinds
    else:
        assert kinds == Counter(recorded=1, refused=SCREENS - 1), kinds


def test_twenty_screens_submitting_twenty_forms_take_one_payment(live: Live) -> None:
    aio.run(_race(live, one_form=False, n=1))


def test_twenty_copies_of_one_form_take_one_payment(live: Live) -> None:
    aio.run(_race(live, one_form=True, n=2))


async def _pay_while_the_hospital_voids(live: Live, n: int) -> None:
    db = surge.Database(live.database_url)
    try:
        patient, bills = await _patient_with_bills(live, db, n)
        screens = await _screens(live, db, f"cash{n}")
        forms = [
            {
                "patient": patient,
                "bills": bills,
                "method": "cash",
                "expected": "29500",
                "key": secrets.token_urlsafe(24),
            }
            for _ in screens
        ]
        gate = asyncio.Event()

        async def void_once(k: int) -> httpx.Response:
            async with httpx.AsyncClient(base_url=live.url_for(k), timeout=120) as http:
                await gate.wait()
                return await http.post(
                    f"/api/v1/bills/RACE-{n}-1/voids",
                    json={"lines": ["1"]},
                    headers={"Authorization": f"Bearer {IMPORT_TOKEN}"},
                )

        voids = [asyncio.create_task(void_once(k)) for k in range(5)]
        try:
            payments = asyncio.create_task(_all_at_once(screens, forms))
            await asyncio.sleep(0.05)
            gate.set()
            answers, voided = await payments, await asyncio.gather(*voids)
        finally:
            await asyncio.gather(*(s.aclose() for s in screens))

        async def state(session: Any) -> tuple[list[Payment], list[Bill]]:
            taken = list(
                await session.scalars(select(Payment).where(Payment.patient_id == patient))
            )
            held = list(await session.scalars(select(Bill).where(Bill.patient_id == patient)))
            return taken, held

        taken, held = await db.run(state)
    finally:
        await db.close()
    assert len(taken) <= 1
    assert all(r.status_code in (200, 409) for r in answers), Counter(
        r.status_code for r in answers
    )
    assert all(v.status_code in (200, 422) for v in voided), [v.text for v in voided]
    for payment in taken:
        paid = [b for b in held if b.payment_id == payment.id]
        # What was taken is what the bills it paid still say: nothing changed them afterwards.
        assert all(b.status == "paid" for b in paid)
        assert payment.total_cents == sum(b.total_cents for b in paid)
    if not taken:  # the void came first: the screens were told the amount changed
        assert all("应收金额有变化" in r.text or "刚刚已缴费" in r.text for r in answers)


def test_a_void_racing_the_payment_never_changes_a_paid_bill(live: Live) -> None:
    aio.run(_pay_while_the_hospital_voids(live, n=3))
