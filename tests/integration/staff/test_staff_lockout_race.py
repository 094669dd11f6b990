"""The lockout holds under real concurrency: 20 wrong passwords for one username sent at the same
moment to a running server (uvicorn in a child process), on SQLite and on PostgreSQL. Only 5
passwords are ever checked; the other 15 tries are refused unchecked, and so is the right
password afterwards."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from harness import crowd as surge
from harness.server import LiveServer, prepare_database
from portal.audit.models import AuditEvent
from portal.core.touchpoints import Role, Touchpoint
from portal.staff.lockout import FAILURES_PER_STEP
from portal.staff.models import LoginGuard
from portal.staff.services import StaffService
from tests.support import aio
from tests.support.live_servers import database_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-staff-lockout")]

GUESSES = 20
PASSWORD = "the-right-password-0123"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(
    request: pytest.FixtureRequest, tmp_path: Path, worker_id: str
) -> Iterator[tuple[LiveServer, str]]:
    """A migrated, empty database with one nurse, and a server on it."""
    url = database_for(request.param, tmp_path, f"lockout_{worker_id}")
    prepare_database(url, seed=False)

    async def add_nurse(session: Any) -> None:
        await StaffService(session=session).create_staff(
            username="zhou",
            display_name="护士 周",
            password=PASSWORD,
            role=Role.NURSE,
            touchpoints=[Touchpoint.TRIAGE],
        )

    aio.run(_in(url, add_nurse))
    with LiveServer(url, log_path=tmp_path / "server.log") as server:
        yield server, url


async def _in(url: str, work: Any) -> Any:
    db = surge.Database(url)
    try:
        return await db.run(work)
    finally:
        await db.close()


async def _guess_at_once(base_url: str, passwords: list[str]) -> list[httpx.Response]:
    """One browser per guess (its own cookies and CSRF token), all sent when a gate opens."""
    browsers = [
        httpx.AsyncClient(base_url=base_url, timeout=60, cookies={"ymt_lang": "en"})
        for _ in passwords
    ]
    try:
        for browser in browsers:
            await browser.get("/staff/login")
        gate = asyncio.Event()

        async def guess(browser: httpx.AsyncClient, password: str) -> httpx.Response:
            await gate.wait()
            return await browser.post(
                "/staff/login",
                data={
                    "username": "zhou",
                    "password": password,
                    "_csrf_token": browser.cookies["ymt_csrf"],
                },
            )

        tasks = [asyncio.create_task(guess(b, p)) for b, p in zip(browsers, passwords, strict=True)]
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(*tasks))
    finally:
        await asyncio.gather(*(b.aclose() for b in browsers))


def _kind(response: httpx.Response) -> str:
    if response.status_code == 303:
        return "logged in"
    if "Too many wrong passwords" in response.text:
        return "locked"
    if "The username or password is not right" in response.text:
        return "not right"
    return str(response.status_code)


def test_twenty_concurrent_wrong_passwords_get_only_five_password_checks(
    live: tuple[LiveServer, str],
) -> None:
    server, url = live
    responses = aio.run(_guess_at_once(server.url, [f"guess-{n}" for n in range(GUESSES)]))
    kinds = Counter(_kind(r) for r in responses)
    # Four plain refusals; the fifth check earned the lock; fifteen were refused unchecked.
    assert kinds == {"not right": FAILURES_PER_STEP - 1, "locked": GUESSES - 4}, kinds
    assert all(r.status_code == 400 for r in responses)

    # The right password, a moment later: still locked.
    (right,) = aio.run(_guess_at_once(server.url, [PASSWORD]))
    assert _kind(right) == "locked"

    async def counts(session: Any) -> dict[str, Any]:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.outcome, func.count()).group_by(
                AuditEvent.action, AuditEvent.outcome
            )
        )
        guard = await session.scalar(select(LoginGuard).where(LoginGuard.username == "zhou"))
        return {
            "audit": {f"{a} {o}": n for a, o, n in rows},
            "failures": guard.failures,
        }

    seen = aio.run(_in(url, counts))
    # Every password check that happened is audited as a wrong password: exactly five.
    assert seen["audit"] == {
        "staff.login wrong_password": FAILURES_PER_STEP,
        "staff.lockout locked": 1,
        "staff.login locked": GUESSES - FAILURES_PER_STEP + 1,
    }, seen
    assert seen["failures"] == FAILURES_PER_STEP
