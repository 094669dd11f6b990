"""The races a review won on PostgreSQL, run again with real concurrency against a running server
(SQLite; PostgreSQL; two processes on PostgreSQL with Redis between them):

- 16 scans of one live code at once at the pharmacy → exactly one accepted;
- 6 requests for a login code for one phone at once → exactly one text;
- 6 family members added at once to an account that has one → five at most.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

import ecard
from harness import crowd as surge
from harness.server import SERVER_SECRET
from portal.accounts.idnumber import make_id_number
from portal.accounts.models import AccountPatient
from portal.cards.keys import build_keyring
from portal.cards.models import ECard, LiveCodeUse
from portal.cards.services import issue_card
from portal.core.touchpoints import Role, Touchpoint
from portal.messaging.models import OutboxMessage
from portal.settings import AppSettings, Settings
from portal.staff.services import StaffService
from tests.support import aio
from tests.support.live_servers import KINDS, Live, live_servers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-races")]
PASSWORD = "pharmacy-window-3-password"


@pytest.fixture(scope="module", params=KINDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Live]:
    with live_servers(request.param, tmp_path_factory.mktemp("races"), f"{worker_id}_races") as on:
        yield on


async def _browser(base_url: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(
        base_url=base_url,
        timeout=60,
        follow_redirects=False,
        # A fresh connection per request: uvicorn closes idle ones after 5 s.
        limits=httpx.Limits(max_keepalive_connections=0),
    )
    await http.get("/login")  # the CSRF cookie, as a browser gets it: with the page
    return http


async def _post(http: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    return await http.post(path, data={"_csrf_token": http.cookies["ymt_csrf"], **data})


async def _at_once(work: list[Any]) -> list[Any]:
    gate = asyncio.Event()

    async def one(job: Any) -> Any:
        await gate.wait()
        return await job()

    tasks = [asyncio.create_task(one(job)) for job in work]
    await asyncio.sleep(0.1)
    gate.set()
    return list(await asyncio.gather(*tasks))


# -- one live code, sixteen scans ---------------------------------------------------------------


async def _sixteen_scans(live: Live) -> tuple[Counter[str], int]:
    db = surge.Database(live.database_url)
    (_phone, (patient_id,)), *_ = await db.add_families(1, first=7100, sizes=(1,))

    async def prepare(session: Any) -> ECard:
        await StaffService(session=session).create_staff(
            username="window3",
            display_name="药师 窗口 3",
            password=PASSWORD,
            role=Role.PHARMACIST,
            touchpoints=[Touchpoint.PHARMACY],
        )
        card = await issue_card(session, UUID(patient_id))
        await session.commit()
        return card

    card = await db.run(prepare)
    keyring = build_keyring(Settings(app=AppSettings(secret_key=SERVER_SECRET)))
    code = ecard.issue_code(keyring, card.card_number, card.generation, time.time())
    # Sixteen pharmacy screens (the same pharmacist logged in on each, on either process).
    windows = [await _browser(live.url_for(n)) for n in range(16)]
    try:
        for window in windows:
            response = await _post(
                window, "/staff/login", {"username": "window3", "password": PASSWORD}
            )
            assert response.status_code == 303, response.text[:300]
        answers = await _at_once(
            [
                (lambda w=window: _post(w, "/staff/scan/pharmacy", {"code": code}))
                for window in windows
            ]
        )
    finally:
        await asyncio.gather(*(w.aclose() for w in windows))
    outcomes: Counter[str] = Counter()
    for answer in answers:
        assert answer.status_code == 200, answer.text[:300]
        outcomes["accepted" if 'data-outcome="accepted"' in answer.text else "refused"] += 1

    async def uses(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(LiveCodeUse)))

    used = await db.run(uses)
    await db.close()
    return outcomes, used


def test_sixteen_scans_of_one_live_code_at_the_pharmacy_accept_one(live: Live) -> None:
    outcomes, used = aio.run(_sixteen_scans(live))
    assert outcomes == Counter({"accepted": 1, "refused": 15})
    assert used == 1


# -- one phone, six code requests ---------------------------------------------------------------


async def _six_code_requests(live: Live) -> tuple[Counter[int], int]:
    phone = "13322220001"
    phones = [await _browser(live.url_for(n)) for n in range(6)]
    try:
        answers = await _at_once(
            [(lambda p=p: _post(p, "/login/code", {"phone": phone})) for p in phones]
        )
    finally:
        await asyncio.gather(*(p.aclose() for p in phones))
    db = surge.Database(live.database_url)

    async def texts(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.phone == phone)
            )
        )

    sent = await db.run(texts)
    await db.close()
    return Counter(a.status_code for a in answers), sent


def test_six_code_requests_for_one_phone_at_once_send_one_text(live: Live) -> None:
    statuses, sent = aio.run(_six_code_requests(live))
    assert statuses == Counter({303: 1, 400: 5})
    assert sent == 1


# -- one account, six additions ----------------------------------------------------------------


async def _six_additions(live: Live) -> tuple[Counter[int], int]:
    db = surge.Database(live.database_url)
    families = await db.add_families(1, first=7200, sizes=(1,))
    (account,) = await surge.patrons(live.url_for, db, families)
    new_people = [
        {
            "name": f"家人{n}",
            "id_number": make_id_number("330106", date(1950, 1, 1 + n), 201 + 2 * n),
            "phone": f"1332222{n:04d}",
            "relationship": "parent" if n % 2 else "sibling",
        }
        for n in range(6)
    ]
    try:
        answers = await _at_once([(lambda p=p: account.post("/patients", p)) for p in new_people])
    finally:
        await surge.close([account])

    async def members(session: Any) -> int:
        account_id = await session.scalar(
            select(AccountPatient.account_id).where(AccountPatient.patient_id == families[0][1][0])
        )
        return int(
            await session.scalar(
                select(func.count())
                .select_from(AccountPatient)
                .where(AccountPatient.account_id == account_id)
            )
        )

    size = await db.run(members)
    await db.close()
    return Counter(a.status_code for a in answers), size


def test_six_additions_at_once_never_take_a_family_past_five(live: Live) -> None:
    statuses, size = aio.run(_six_additions(live))
    assert size == 5
    assert statuses == Counter({303: 4, 400: 2})
