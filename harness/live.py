"""Driving a live server without a browser: the hospital's systems (timetable import), patients
and staff over plain HTTP, a server clock set to a chosen morning, and a look into its database.

Browser tests use these for the people in the background (the patients ahead in the queue, the
doctor calling them); benchmarks use them to set a morning up quickly.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harness.server import IMPORT_TOKEN
from portal.accounts.models import Account, AccountPatient, Patient
from portal.app import load_models
from portal.booking.models import Schedule, Slot
from portal.cards.models import ECard
from portal.db.engine import create_engine
from portal.queue.models import Queue
from portal.settings import DatabaseSettings
from portal.staff.seed import DEMO_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIFTED_LIMITS = {
    # Every test client comes from 127.0.0.1: lift the per-address limits (their own tests pin them).
    "PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR": "1000000",
    "PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE": "1000000",
    "PORTAL_BOOKING_REQUESTS_PER_ADDRESS_PER_MINUTE": "1000000",
}
CODE = re.compile(r"\b(\d{6})\b")
T = TypeVar("T")


# -- the clock ------------------------------------------------------------------------------------


def morning(days_ahead: int, at: time = time(9, 0)) -> datetime:
    """``at`` (Shanghai time) ``days_ahead`` days from today: a day the demo seed leaves empty."""
    day = datetime.now(SHANGHAI).date() + timedelta(days=days_ahead)
    return datetime.combine(day, at, tzinfo=SHANGHAI)


def clock_offset(moment: datetime) -> str:
    """PORTAL_CLOCK_OFFSET_SECONDS that puts a server's clock at ``moment`` now."""
    return str(round((moment - datetime.now(UTC)).total_seconds()))


# -- the hospital's systems -----------------------------------------------------------------------


def clinic_session(
    code: str,
    doctor: str,
    day: date,
    *,
    room: str,
    start: str = "08:00",
    end: str = "12:00",
    places: int = 5,
) -> dict[str, Any]:
    """A doctor's morning in 15-minute slots, as the hospital's HIS sends it."""
    return {
        "code": code,
        "doctor": doctor,
        "date": day.isoformat(),
        "period": "morning",
        "fee": "50.00",
        "room": room,
        "start": start,
        "end": end,
        "slot_minutes": 15,
        "places_per_slot": places,
    }


def import_sessions(base_url: str, *sessions: dict[str, Any]) -> dict[str, Any]:
    """POST /api/v1/timetable with the import token, as the HIS does."""
    response = httpx.post(
        f"{base_url}/api/v1/timetable",
        json={"sessions": list(sessions)},
        headers={"Authorization": f"Bearer {IMPORT_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- people over HTTP -----------------------------------------------------------------------------


class Visitor(httpx.Client):
    """A browser without a screen: keeps cookies, sends the CSRF token back with every form."""

    def __init__(self, base_url: str, *, mode: str = "standard", locale: str = "zh_Hans") -> None:
        super().__init__(base_url=base_url, timeout=30, follow_redirects=False)
        self.cookies.set("ymt_mode", mode)
        self.cookies.set("ymt_lang", locale)

    def csrf(self) -> str:
        if not self.cookies.get("ymt_csrf"):
            self.get("/")
        token = self.cookies.get("ymt_csrf")
        assert token, "no CSRF cookie"
        return token

    def submit(self, path: str, data: dict[str, str] | None = None, *, htmx: bool = False) -> Any:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.post(path, data={"_csrf_token": self.csrf(), **(data or {})}, headers=headers)

    def log_in_patient(self, phone: str) -> None:
        """Phone, the code from the development outbox, done."""
        response = self.submit("/login/code", {"phone": phone})
        assert response.status_code == 303, response.text[:300]
        outbox = self.get("/dev/outbox").text
        block = next(b for b in outbox.split('<li class="panel">')[1:] if phone in b)
        code = CODE.search(block.split("outbox-body", 1)[1])
        assert code, block
        response = self.submit("/login/verify", {"code": code.group(1)})
        assert response.status_code == 303, response.text[:300]

    def add_member(self, name: str, id_number: str, phone: str, relationship: str) -> None:
        response = self.submit(
            "/patients",
            {"name": name, "id_number": id_number, "phone": phone, "relationship": relationship},
        )
        assert response.status_code == 303, response.text[:500]
        # Someone already registered elsewhere is added only with their consent code.
        assert "/patients/confirm" not in response.headers["location"], "patient exists elsewhere"

    def book(self, slot_id: str, patient_id: str) -> None:
        response = self.submit("/booking/appointments", {"slot": slot_id, "patient": patient_id})
        assert response.status_code == 303, response.text[:500]

    def log_in_staff(self, username: str, password: str = DEMO_PASSWORD) -> None:
        response = self.submit("/staff/login", {"username": username, "password": password})
        assert response.status_code == 303, response.text[:300]

    def scan(self, desk: str, code: str) -> str:
        """What the station shows after a scan (the htmx fragment)."""
        response = self.submit(f"/staff/scan/{desk}", {"code": code}, htmx=True)
        assert response.status_code == 200, response.text[:300]
        return response.text

    def cover(self, queue_id: str, doctor_id: str) -> None:
        """A nurse (or an administrator) asks a doctor to run this room's queue for the day."""
        response = self.submit("/staff/cover", {"queue": queue_id, "doctor": doctor_id})
        assert response.status_code == 303, response.text[:300]

    def call_next(self, queue_id: str) -> None:
        response = self.submit(f"/staff/console/{queue_id}/next", htmx=True)
        assert response.status_code == 200, response.text[:300]

    def browser_cookies(self, *names: str) -> list[dict[str, str]]:
        """This visitor's cookies (or the ones named) for a Playwright context."""
        base = str(self.base_url).rstrip("/")
        return [
            {"name": cookie.name, "value": cookie.value or "", "url": base}
            for cookie in self.cookies.jar
            if not names or cookie.name in names
        ]


# -- the server's database ------------------------------------------------------------------------


def in_database(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``await work(session)`` on the server's database from the test's own process (in a
    thread of its own: Playwright's sync API already runs an event loop in this one)."""
    load_models()

    async def run() -> T:
        engine = create_engine(DatabaseSettings(url=database_url, pool_size=2))
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def family_of(database_url: str, phone: str) -> dict[str, tuple[str, str]]:
    """The account's patients: name → (patient id, active card number)."""

    async def work(session: AsyncSession) -> dict[str, tuple[str, str]]:
        rows = await session.execute(
            select(Patient.name, Patient.id, ECard.card_number)
            .join(AccountPatient, AccountPatient.patient_id == Patient.id)
            .join(Account, Account.id == AccountPatient.account_id)
            .join(ECard, (ECard.patient_id == Patient.id) & ECard.active.is_(True))
            .where(Account.phone == phone)
        )
        return {name: (str(pid), number) for name, pid, number in rows}

    return in_database(database_url, work)


def slots_of(database_url: str, session_code: str) -> list[tuple[str, datetime]]:
    """The session's slots (id, start in UTC), earliest first."""

    async def work(session: AsyncSession) -> list[tuple[str, datetime]]:
        rows = await session.execute(
            select(Slot.id, Slot.starts_at)
            .join(Schedule, Schedule.id == Slot.schedule_id)
            .where(Schedule.code == session_code)
            .order_by(Slot.starts_at)
        )
        return [
            (str(slot_id), starts if starts.tzinfo else starts.replace(tzinfo=UTC))
            for slot_id, starts in rows
        ]

    return in_database(database_url, work)


def staff_id_of(database_url: str, username: str) -> str:
    """A staff account's id."""
    from portal.staff.models import Staff

    async def work(session: AsyncSession) -> str:
        staff_id = await session.scalar(select(Staff.id).where(Staff.username == username))
        assert staff_id is not None, f"no staff account {username}"
        return str(staff_id)

    return in_database(database_url, work)


def queue_of(database_url: str, session_code: str) -> str:
    """The queue a session's check-ins created."""

    async def work(session: AsyncSession) -> str:
        queue_id = await session.scalar(
            select(Queue.id)
            .join(Schedule, Schedule.id == Queue.schedule_id)
            .where(Schedule.code == session_code)
        )
        assert queue_id is not None, f"nobody has checked in for {session_code}"
        return str(queue_id)

    return in_database(database_url, work)
