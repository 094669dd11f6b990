"""A crash in the middle of a booking surge loses nothing and breaks nothing, on SQLite (WAL)
and on PostgreSQL.

200 patients (each with an account, a browser of their own and one to three family members)
book at once for 120 places in one doctor's morning, and two nurses scan the card of everyone
who got a place, both at the same moment (triage and registration). When a third of the
bookings have been answered the server process gets SIGKILL: no shutdown, no rollback, requests
cut off halfway. It is started again on the same database; patients and nurses whose requests
failed try again (logging in again where the crash took their session), as people would.

Then every invariant is checked on the database (tests/support/invariants.py): each slot's
count of places equals its appointments, nothing is oversold, every appointment has its
registration bill, every checked-in appointment exactly one ticket, no ticket number twice in a
queue; every booking the server confirmed is there, and the morning is sold out exactly.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from datetime import time as clock_time
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from ecard.numbers import new_card_number
from harness import crowd as surge
from harness.live import clock_offset, morning
from harness.server import LiveServer, prepare_database
from portal.booking.models import CANCELLED, CHECKED_IN, Appointment, Schedule, Slot
from portal.cards.models import ECard
from portal.core.touchpoints import Role, Touchpoint
from portal.queue.models import Ticket
from portal.staff.services import StaffService
from tests.support import aio
from tests.support.databases import redis_url
from tests.support.invariants import broken_invariants

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-booking")]

CLIENTS = 200
SLOTS = 10
PLACES = 12  # 120 places for 200 patients: every slot sells out
KILL_AFTER = CLIENTS // 3  # booking answers before the crash
SESSION = "CRASH-D1"
NURSES = (("nurse.a", Touchpoint.TRIAGE), ("nurse.b", Touchpoint.REGISTRATION))
PASSWORD = "crash-test-password"
RETRY_FOR_S = 60.0
T = TypeVar("T")


@dataclass
class Site:
    server: LiveServer
    database_url: str
    day: date


@pytest.fixture
def site(fresh_database: str, tmp_path: Path) -> Iterator[Site]:
    """A migrated, empty database and a server whose clock says 07:40 on a morning three days
    from now; check-in opens four hours ahead, so everyone booked can check in at once."""
    at = morning(3, clock_time(7, 40))
    env = {
        **surge.SERVER_ENV,
        "PORTAL_CLOCK_OFFSET_SECONDS": clock_offset(at),
        "PORTAL_CHECKIN_OPENS_MINUTES": "240",
        # Each patient logs in again within seconds of the first login (the crash ended the
        # session): not the one-minute wait between codes that this test is not about.
        "PORTAL_CODE_RESEND_SECONDS": "1",
    }
    prepare_database(fresh_database, seed=False, **env)
    # PostgreSQL runs as a hospital runs it, with Redis: sessions outlive the crash. SQLite runs
    # as a clinic does, one process keeping sessions in memory: everyone logs in again.
    redis = redis_url(database=12) if fresh_database.startswith("postgresql") else None
    server = LiveServer(
        fresh_database, redis_url=redis, extra_env=env, log_path=tmp_path / "server.log"
    )
    with server:
        yield Site(server, fresh_database, at.date())


async def retrying(work: Callable[[], Awaitable[T]], interrupted: list[bool]) -> T:
    """``work()`` until the server answers, backing off as a phone app would; notes in
    ``interrupted`` that it once did not answer."""
    deadline = time.monotonic() + RETRY_FOR_S
    pause = 0.25
    while True:
        try:
            return await work()
        except httpx.TransportError:
            interrupted.append(True)
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))
            pause = min(2.0, pause * 2)


def to_login(response: httpx.Response) -> bool:
    return response.status_code == 303 and "login" in response.headers.get("location", "")


@dataclass
class Crash:
    """Kills the server once ``after`` booking answers have come back, then starts it again."""

    server: LiveServer
    after: int
    answered: int = 0
    killed_at: float | None = None
    back_after_s: float | None = None
    answered_at_kill: int = 0
    due: asyncio.Event = field(default_factory=asyncio.Event)

    def note_answer(self) -> None:
        self.answered += 1
        if self.answered >= self.after:
            self.due.set()

    async def run(self) -> None:
        await self.due.wait()
        self.answered_at_kill = self.answered
        process = self.server.process
        assert process is not None
        process.kill()  # SIGKILL
        await asyncio.to_thread(process.wait)
        self.killed_at = time.monotonic()
        await asyncio.to_thread(self.server.start, 60.0)  # a loaded machine starts slowly
        self.back_after_s = time.monotonic() - self.killed_at


class Desks:
    """Two nurses' scan stations, each a browser that logs in again when a crash ends its session."""

    def __init__(self, base_url: str) -> None:
        self.browsers = {
            name: httpx.AsyncClient(
                base_url=base_url,
                timeout=120,
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=0),
            )
            for name, _ in NURSES
        }
        self.sessions = dict.fromkeys(self.browsers, 0)
        self.locks = {name: asyncio.Lock() for name in self.browsers}
        self.answers: list[httpx.Response] = []

    async def log_in(self, name: str, seen: int, interrupted: list[bool]) -> None:
        """Log in again unless another scan already did since session ``seen`` failed."""
        async with self.locks[name]:
            if self.sessions[name] != seen:
                return
            browser = self.browsers[name]

            async def attempt() -> httpx.Response:
                await browser.get("/staff/login")  # the CSRF cookie, with the page
                return await browser.post(
                    "/staff/login",
                    data={
                        "_csrf_token": browser.cookies.get("ymt_csrf") or "",
                        "username": name,
                        "password": PASSWORD,
                    },
                )

            response = await retrying(attempt, interrupted)
            assert response.status_code == 303, response.text[:300]
            self.sessions[name] += 1

    async def scan(self, name: str, desk: Touchpoint, card: str, interrupted: list[bool]) -> None:
        browser = self.browsers[name]
        while True:
            seen = self.sessions[name]
            response = await retrying(
                lambda: browser.post(
                    f"/staff/scan/{desk.value}",
                    data={"_csrf_token": browser.cookies.get("ymt_csrf") or "", "code": card},
                ),
                interrupted,
            )
            if not to_login(response):
                self.answers.append(response)
                return
            await self.log_in(name, seen, interrupted)

    async def close(self) -> None:
        await asyncio.gather(*(b.aclose() for b in self.browsers.values()))


@dataclass
class Visit:
    patron: surge.Patron
    patient: str
    slot: str
    outcome: str = ""
    appointment: str | None = None
    cut_off: list[bool] = field(default_factory=list)  # booking (and login) requests cut off
    scans_cut_off: list[bool] = field(default_factory=list)


async def log_in_again(patron: surge.Patron, db: surge.Database, interrupted: list[bool]) -> None:
    """The crash took the session: ask for a new code and type it, as often as it takes."""
    deadline = time.monotonic() + RETRY_FOR_S
    while True:
        try:
            await retrying(lambda: surge.log_in(patron, db), interrupted)
            return
        except AssertionError:  # a code asked for a moment ago: wait for the next one
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


async def book(visit: Visit, db: surge.Database, crash: Crash) -> None:
    """Book until the server gives a clear answer, logging in again if the crash ended the
    session (a retry of a booking that had committed answers with that appointment)."""
    patron = visit.patron
    while True:
        response = await retrying(
            lambda: patron.post(
                "/booking/appointments", {"slot": visit.slot, "patient": visit.patient}
            ),
            visit.cut_off,
        )
        crash.note_answer()
        if to_login(response):
            await log_in_again(patron, db, visit.cut_off)
            continue
        break
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.endswith("/booked"):
        visit.outcome, visit.appointment = "booked", location.split("/")[2]
    elif response.status_code == 409 and 'data-outcome="full"' in response.text:
        visit.outcome = "full"
    else:
        visit.outcome = f"HTTP {response.status_code}"


async def _surge(site: Site) -> dict[str, Any]:
    url = site.server.url
    db = surge.Database(site.database_url)
    await surge.import_timetable(
        url, surge.timetable([surge.session_of(SESSION, site.day, slots=SLOTS, places=PLACES)])
    )
    slots = await surge.slot_ids(db, SESSION)
    families = await db.add_families(CLIENTS, first=7000)
    cards = await _issue_cards(db, [p for _, patients in families for p in patients])
    await _hire_nurses(db)
    crowd = await surge.patrons(url, db, families)
    visits = [
        Visit(patron, patron.patients[n % len(patron.patients)], slots[n % SLOTS])
        for n, patron in enumerate(crowd)
    ]
    desks = Desks(url)
    crash = Crash(site.server, KILL_AFTER)
    started = time.monotonic()
    try:
        for name, _ in NURSES:
            await desks.log_in(name, 0, [])
        gate = asyncio.Event()

        async def one(visit: Visit) -> None:
            await gate.wait()
            await book(visit, db, crash)
            if visit.outcome == "booked":
                card = cards[visit.patient]
                await asyncio.gather(
                    *(desks.scan(name, desk, card, visit.scans_cut_off) for name, desk in NURSES)
                )

        killer = asyncio.create_task(crash.run())
        tasks = [asyncio.create_task(one(v)) for v in visits]
        await asyncio.sleep(0.1)
        gate.set()
        await asyncio.gather(*tasks)
        await killer
    finally:
        await surge.close(crowd)
        await desks.close()
    surge_s = time.monotonic() - started

    async def state(session: Any) -> dict[str, Any]:
        appointments = list(
            await session.execute(
                select(Appointment.id, Appointment.status, Ticket.id)
                .join(Schedule, Schedule.id == Appointment.schedule_id)
                .outerjoin(Ticket, Ticket.appointment_id == Appointment.id)
                .where(Schedule.code == SESSION, Appointment.status != CANCELLED)
            )
        )
        booked = list(
            await session.scalars(
                select(Slot.booked).join(Schedule).where(Schedule.code == SESSION)
            )
        )
        return {
            "broken": await broken_invariants(session),
            "appointments": {str(a) for a, _, _ in appointments},
            "checked in with a ticket": sum(
                1 for _, status, ticket in appointments if status == CHECKED_IN and ticket
            ),
            "places taken": booked,
        }

    found = await db.run(state)
    await db.close()
    return {
        "found": found,
        "visits": visits,
        "crash": crash,
        "scans": Counter(r.status_code for r in desks.answers),
        "surge_s": surge_s,
    }


async def _issue_cards(db: surge.Database, patients: list[str]) -> dict[str, str]:
    cards = {patient: new_card_number() for patient in patients}

    async def work(session: Any) -> None:
        session.add_all(ECard(patient_id=UUID(p), card_number=c) for p, c in cards.items())
        await session.commit()

    await db.run(work)
    return cards


async def _hire_nurses(db: surge.Database) -> None:
    async def work(session: Any) -> None:
        for name, _ in NURSES:
            await StaffService(session=session).create_staff(
                username=name,
                display_name=f"护士 {name}",
                password=PASSWORD,
                role=Role.NURSE,
                touchpoints=[Touchpoint.TRIAGE, Touchpoint.REGISTRATION],
            )

    await db.run(work)


def test_a_crash_in_the_middle_of_a_booking_surge_loses_nothing(site: Site) -> None:
    result = aio.run(_surge(site))
    found, visits, crash = result["found"], result["visits"], result["crash"]
    outcomes = Counter(v.outcome for v in visits)
    cut_off = [v for v in visits if v.cut_off]
    print(  # the figures, for the report (pytest -s)
        f"\n{dict(outcomes)}; killed after {crash.answered_at_kill} booking answers, "
        f"{len(cut_off)} bookings cut off ({sum(1 for v in cut_off if v.outcome == 'booked')} "
        f"then booked), {sum(1 for v in visits if v.scans_cut_off)} scans cut off; "
        f"scan answers {dict(result['scans'])}; back after {crash.back_after_s:.1f} s; "
        f"surge {result['surge_s']:.1f} s"
    )
    assert crash.killed_at is not None, "the server was never killed"
    assert cut_off, "the crash cut off no booking"
    assert found["broken"] == []
    assert set(outcomes) <= {"booked", "full"}, outcomes
    # Every booking confirmed survived the crash, and everyone who holds a place was told so
    # (a booking whose answer the crash cut off answers the retry with the same appointment)...
    assert {v.appointment for v in visits if v.outcome == "booked"} == found["appointments"]
    # ...no place was lost or sold twice: the morning is sold out exactly...
    assert found["places taken"] == [PLACES] * SLOTS
    assert len(found["appointments"]) == PLACES * SLOTS
    # ...and everyone holding a place was checked in once, whichever nurse was first.
    assert found["checked in with a ticket"] == PLACES * SLOTS
    assert all(status < 500 for status in result["scans"])
