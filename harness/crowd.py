"""Many patients at once against a running server: accounts made directly in the database, each
patient with a browser of their own (cookie jar, CSRF token, session) logged in through the
real pages. The concurrency tests and ``bench/booking_surge.py`` both use this."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from harness.server import IMPORT_TOKEN
from portal.accounts.idnumber import make_id_number
from portal.accounts.models import Account, AccountPatient, Patient
from portal.app import load_models
from portal.db.engine import create_engine
from portal.messaging.models import OutboxMessage
from portal.settings import DatabaseSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE = re.compile(r"\b(\d{6})\b")
T = TypeVar("T")

SERVER_ENV = {
    # Every simulated patient comes from 127.0.0.1: lift the per-address limits.
    "PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR": "1000000",
    "PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE": "1000000",
    "PORTAL_BOOKING_REQUESTS_PER_ADDRESS_PER_MINUTE": "1000000",
}


def local_today() -> date:
    return datetime.now(SHANGHAI).date()


@dataclass
class Patron:
    """One patient's phone: an account, its family members, a browser of its own."""

    phone: str
    patients: list[str]
    http: httpx.AsyncClient
    responses: list[httpx.Response] = field(default_factory=list)

    @property
    def csrf(self) -> str:
        return self.http.cookies.get("ymt_csrf") or ""

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        response = await self.http.post(
            path, data={"_csrf_token": self.csrf, **(data or {})}, follow_redirects=False
        )
        self.responses.append(response)
        return response


async def fresh_postgres(base_url: str, name: str) -> str:
    """Drop and create a PostgreSQL database of this name; returns its URL."""
    url = make_url(base_url).set(drivername="postgresql+asyncpg")
    admin = create_engine(DatabaseSettings(url=url.render_as_string(hide_password=False)))
    async with admin.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class Database:
    """The test's own door into the server's database (accounts in, codes and results out)."""

    def __init__(self, url: str) -> None:
        load_models()
        self.engine: AsyncEngine = create_engine(DatabaseSettings(url=url, pool_size=5))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        async with self.sessions() as session:
            return await work(session)

    async def close(self) -> None:
        await self.engine.dispose()

    async def add_families(
        self, count: int, *, first: int = 0, sizes: Sequence[int] = (1, 2, 3)
    ) -> list[tuple[str, list[str]]]:
        """``count`` accounts, each managing 1–3 patients: [(phone, [patient ids])]."""
        born = date(1940, 1, 1)
        families: list[tuple[str, list[str]]] = []

        async def work(session: Any) -> None:
            for n in range(first, first + count):
                phone = f"135{n:08d}"
                account = Account(phone=phone)
                session.add(account)
                patients = []
                for member in range(sizes[n % len(sizes)]):
                    birth = born + timedelta(days=n * 3 + member)
                    patient = Patient(
                        name=f"患者{n}{'甲乙丙'[member]}",
                        id_number=make_id_number("110101", birth, 100 + member * 2 + 1),
                        phone=phone,
                        sex="M",
                        birth_date=birth,
                    )
                    session.add(patient)
                    patients.append(patient)
                await session.flush()
                for position, patient in enumerate(patients):
                    session.add(
                        AccountPatient(
                            account_id=account.id,
                            patient_id=patient.id,
                            relationship_kind="self" if position == 0 else "parent",
                            position=position,
                        )
                    )
                families.append((phone, [str(p.id) for p in patients]))
            await session.commit()

        await self.run(work)
        return families

    async def latest_code(self, phone: str) -> str:
        async def work(session: Any) -> str:
            body = await session.scalar(
                select(OutboxMessage.body)
                .where(OutboxMessage.phone == phone)
                .order_by(OutboxMessage.created_at.desc())
                .limit(1)
            )
            match = CODE.search(body or "")
            assert match, f"no code for {phone}"
            return match.group(1)

        return await self.run(work)


async def log_in(patron: Patron, db: Database) -> None:
    """The real pages: ask for a code, read it from the outbox, type it."""
    await patron.http.get("/login")  # the CSRF cookie, with the login page
    assert patron.csrf, "no CSRF cookie"
    response = await patron.post("/login/code", {"phone": patron.phone})
    assert response.status_code == 303, response.text[:500]
    response = await patron.post("/login/verify", {"code": await db.latest_code(patron.phone)})
    assert response.status_code == 303, response.text[:500]
    patron.responses.clear()


async def gather_limited(work: Sequence[Awaitable[T]], limit: int) -> list[T]:
    semaphore = asyncio.Semaphore(limit)

    async def one(item: Awaitable[T]) -> T:
        async with semaphore:
            return await item

    return list(await asyncio.gather(*(one(item) for item in work)))


async def patrons(
    base_url: str | Callable[[int], str],
    db: Database,
    families: list[tuple[str, list[str]]],
    *,
    limit: int | None = None,
) -> list[Patron]:
    """A logged-in browser per family, ``limit`` logging in at a time."""
    if limit is None:
        limit = 25
    url_for = base_url if callable(base_url) else (lambda _n: base_url)
    crowd = [
        Patron(
            phone,
            patients,
            httpx.AsyncClient(
                base_url=url_for(n),
                timeout=120,
                # A fresh connection per request: uvicorn closes idle ones after 5 s.
                limits=httpx.Limits(max_connections=2, max_keepalive_connections=0),
            ),
        )
        for n, (phone, patients) in enumerate(families)
    ]
    await gather_limited([log_in(p, db) for p in crowd], limit)
    return crowd


async def close(crowd: Sequence[Patron]) -> None:
    await asyncio.gather(*(p.http.aclose() for p in crowd))


@dataclass(frozen=True)
class Timed:
    response: httpx.Response
    seconds: float


async def at_once(
    crowd: Sequence[Patron], request: Callable[[Patron], Awaitable[httpx.Response]]
) -> list[Timed]:
    """Everyone fires at the same moment (a gate opens); each answer with its latency."""
    gate = asyncio.Event()

    async def one(patron: Patron) -> Timed:
        await gate.wait()
        started = time.perf_counter()
        response = await request(patron)
        return Timed(response, time.perf_counter() - started)

    tasks = [asyncio.create_task(one(p)) for p in crowd]
    await asyncio.sleep(0.1)  # every task is waiting at the gate
    gate.set()
    return list(await asyncio.gather(*tasks))


async def import_timetable(base_url: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        response = await http.post(
            "/api/v1/timetable", json=payload, headers={"Authorization": f"Bearer {IMPORT_TOKEN}"}
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def timetable(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "departments": [{"code": "CARD", "name": "心血管内科", "location": "门诊楼 3 层 A 区"}],
        "doctors": [{"code": "D1", "department": "CARD", "name": "张伟", "title": "chief"}],
        "sessions": sessions,
    }


def session_of(
    code: str, day: date, *, slots: int, places: int, start: str = "08:00"
) -> dict[str, Any]:
    """A session of ``slots`` 15-minute slots of ``places`` each."""
    hour, minute = map(int, start.split(":"))
    begin = datetime(2000, 1, 1, hour, minute)
    return {
        "code": code,
        "doctor": "D1",
        "date": day.isoformat(),
        "period": "morning" if hour < 12 else "afternoon",
        "fee": "50.00",
        "room": "305 诊室",
        "slots": [
            {
                "start": (begin + timedelta(minutes=15 * n)).strftime("%H:%M"),
                "end": (begin + timedelta(minutes=15 * (n + 1))).strftime("%H:%M"),
                "capacity": places,
            }
            for n in range(slots)
        ],
    }


async def slot_ids(db: Database, session_code: str) -> list[str]:
    from portal.booking.models import Schedule, Slot

    async def work(session: Any) -> list[str]:
        rows = await session.scalars(
            select(Slot.id)
            .join(Schedule, Schedule.id == Slot.schedule_id)
            .where(Schedule.code == session_code)
            .order_by(Slot.starts_at)
        )
        return [str(r) for r in rows]

    return await db.run(work)


async def schedule_id(db: Database, session_code: str) -> str:
    from portal.booking.models import Schedule

    async def work(session: Any) -> str:
        return str(await session.scalar(select(Schedule.id).where(Schedule.code == session_code)))

    return await db.run(work)
