"""A busy morning for the queue benchmarks: one server process on SQLite with its clock set to the
morning of an ordinary day, 30 consulting rooms, and thousands of patients put straight into the
database (far faster than booking each one through the pages). Phones and desks then log in over
HTTP, as real ones do.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import ecard
from harness.live import LIFTED_LIMITS, SHANGHAI, clock_offset, morning
from harness.server import LiveServer, prepare_database
from portal.accounts.idnumber import make_id_number
from portal.accounts.models import Account, AccountPatient, Patient
from portal.app import load_models
from portal.booking.imports import import_timetable
from portal.booking.models import (
    BOOKED,
    CHECKED_IN,
    COMPLETED,
    Appointment,
    Department,
    Schedule,
    Slot,
)
from portal.booking.schemas import SessionIn, TimetableImport
from portal.booking.seed import DOCTORS
from portal.cards.models import ECard
from portal.core.touchpoints import Role, Touchpoint
from portal.db.engine import create_engine
from portal.messaging.models import OutboxMessage
from portal.queue.models import (
    CALLED,
    DONE,
    ON_TIME,
    WAITING,
    Queue,
    QueueCover,
    Ticket,
    TicketCounter,
)
from portal.queue.services import PREFIXES
from portal.settings import DatabaseSettings
from portal.staff.models import Staff
from portal.staff.services import StaffService

ROOMS = 30
LOG_DIR = os.environ.get("BENCH_SERVER_LOG_DIR")  # keep the server's log there (debugging)
SLOT = timedelta(minutes=15)
CODE = re.compile(r"\b(\d{6})\b")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "建国", "桂兰", "志强", "淑珍", "国华", "玉梅", "文明", "丽华", "德明", "静", "强"]
STAFF_PASSWORD = "bench-staff-password"  # noqa: S105 - a throwaway benchmark database


@dataclass
class Morning:
    """A running server, its database and the day its clock is on."""

    server: LiveServer
    day: date
    starts: datetime  # the server's clock when it started
    offset_seconds: float
    schedules: list[Schedule] = field(default_factory=list)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    @asynccontextmanager
    async def sessions(self) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
        """Sessions on the server's database from this process (for one event loop)."""
        engine = create_engine(DatabaseSettings(url=self.server.database_url, pool_size=4))
        try:
            yield async_sessionmaker(engine, expire_on_commit=False)
        finally:
            await engine.dispose()

    @property
    def host_port(self) -> tuple[str, int]:
        return "127.0.0.1", self.server.port


@contextmanager
def busy_morning(at: time) -> Iterator[Morning]:
    """Migrate and seed a fresh SQLite database, open 30 rooms on a day the demo seed leaves
    empty, and serve it with the clock at ``at`` (Shanghai) on that day."""
    load_models()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        prepare_database(url)
        moment = morning(30, at)
        offset = clock_offset(moment)
        schedules = asyncio.run(_open_rooms(url, moment.date()))
        server = LiveServer(
            url,
            extra_env={
                **LIFTED_LIMITS,
                "PORTAL_CLOCK_OFFSET_SECONDS": offset,
                # The morning is made with the clock already at ``at``: the no-show round would
                # mark the earlier patients absent (one long write) before they are checked in.
                "PORTAL_BOOKING_HOUSEKEEPING_SECONDS": "0",
            },
            log_path=Path(LOG_DIR) / "queue-bench-server.log" if LOG_DIR else None,
        )
        with server:
            yield Morning(server, moment.date(), moment, float(offset), schedules)


async def _open_rooms(url: str, day: date) -> list[Schedule]:
    """One morning session (08:00–12:00, 15-minute slots of 40 places) for each of 30 doctors:
    room for the 15,000 phones of the largest queue-phones run (480 slots of 40)."""
    sessions = [
        SessionIn(
            code=f"BENCH-{code}",
            doctor=code,
            date=day,
            period="morning",
            fee=Decimal("50.00"),
            room=f"{101 + index} 诊室",
            start="08:00",
            end="12:00",
            slot_minutes=15,
            places_per_slot=40,
        )
        for index, (code, *_rest) in enumerate(DOCTORS[:ROOMS])
    ]
    engine = create_engine(DatabaseSettings(url=url))
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await import_timetable(session, TimetableImport(sessions=sessions), SHANGHAI)
        found = await session.scalars(
            select(Schedule).where(Schedule.code.like("BENCH-%")).order_by(Schedule.code)
        )
        schedules = list(found)
    await engine.dispose()
    return schedules


@dataclass(frozen=True)
class Person:
    phone: str
    patient_id: UUID
    card_number: str
    schedule_id: UUID


async def add_patients(morning: Morning, count: int, slot_starts: list[time]) -> list[Person]:
    """``count`` accounts, each with one patient (and card) booked into one of the rooms, in the
    slots starting at ``slot_starts``, spread evenly."""
    rng = random.Random(7)
    people: list[Person] = []
    async with morning.sessions() as sessions, sessions() as session:
        slots = {
            (slot.schedule_id, slot.starts_at.astimezone(SHANGHAI).time()): slot
            for slot in await session.scalars(
                select(Slot).where(Slot.schedule_id.in_([s.id for s in morning.schedules]))
            )
        }
        numbers: set[str] = set()
        for index in range(count):
            schedule = morning.schedules[index % len(morning.schedules)]
            slot = slots[
                (schedule.id, slot_starts[(index // len(morning.schedules)) % len(slot_starts)])
            ]
            born = date(1940, 1, 1) + timedelta(days=7 * index + 3)
            account = Account(phone=f"150{index:08d}")
            patient = Patient(
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                id_number=make_id_number("440103", born, 1 + index % 998),
                phone=account.phone,
                sex="M" if (1 + index % 998) % 2 else "F",
                birth_date=born,
            )
            session.add_all([account, patient])
            await session.flush()
            while (number := ecard.new_card_number()) in numbers:
                pass
            numbers.add(number)
            session.add_all(
                [
                    AccountPatient(
                        account_id=account.id, patient_id=patient.id, relationship_kind="self"
                    ),
                    ECard(patient_id=patient.id, card_number=number, generation=0, active=True),
                    Appointment(
                        slot_id=slot.id,
                        schedule_id=schedule.id,
                        department_id=schedule.department_id,
                        patient_id=patient.id,
                        account_id=account.id,
                        visit_day=morning.day,
                        status=BOOKED,
                        fee_cents=schedule.fee_cents,
                        booked_at=morning.starts - timedelta(days=3),
                    ),
                ]
            )
            slot.booked += 1
            people.append(Person(account.phone, patient.id, number, schedule.id))
        await session.commit()
    return people


async def check_everyone_in(morning: Morning, per_patient: timedelta) -> list[UUID]:
    """Put every booked patient in their room's queue as if the triage desk had scanned them
    before the clock's now: the first ones already seen, one with the doctor, the rest waiting.
    Returns the queue ids."""
    now = morning.starts
    queue_ids = []
    async with morning.sessions() as sessions, sessions() as session:
        departments = {d.id: d for d in await session.scalars(select(Department))}
        counters: dict[str, int] = {}
        for schedule in morning.schedules:
            department = departments[schedule.department_id]
            prefix = PREFIXES[department.position % len(PREFIXES)]
            appointments = list(
                await session.scalars(
                    select(Appointment)
                    .join(Slot, Slot.id == Appointment.slot_id)
                    .where(Appointment.schedule_id == schedule.id)
                    .order_by(Slot.starts_at, Appointment.created_at)
                )
            )
            seen = len(appointments) // 10
            queue = Queue(
                kind="clinic",
                service_day=morning.day,
                schedule_id=schedule.id,
                department_id=department.id,
                name=department.name,
                doctor_name=schedule.doctor.name,
                room=schedule.room,
                prefix=prefix,
                version=len(appointments) + seen + 1,
            )
            session.add(queue)
            await session.flush()
            queue_ids.append(queue.id)
            for position, appointment in enumerate(appointments):
                counters[prefix] = counters.get(prefix, 0) + 1
                status = DONE if position < seen else CALLED if position == seen else WAITING
                called = now - per_patient * (seen - position) if position <= seen else None
                session.add(
                    Ticket(
                        queue_id=queue.id,
                        patient_id=appointment.patient_id,
                        appointment_id=appointment.id,
                        number=f"{prefix}{counters[prefix]:03d}",
                        status=status,
                        band=ON_TIME,
                        priority=0,
                        slot_starts_at=appointment.slot.starts_at,
                        checked_in_at=now - timedelta(minutes=70) + timedelta(seconds=position),
                        called_at=called,
                        done_at=called + per_patient if status == DONE and called else None,
                        call_count=1 if called else 0,
                    )
                )
                appointment.status = COMPLETED if status == DONE else CHECKED_IN
                appointment.checked_in_at = now - timedelta(minutes=70)
        for prefix, last in counters.items():
            session.add(TicketCounter(day=morning.day, prefix=prefix, last=last))
        await session.commit()
    return queue_ids


async def log_in_phones(
    morning: Morning, phones: list[str], workers: int = 2
) -> tuple[list[str], int]:
    """Log each phone in through the pages (code read from the development outbox table); returns
    the Cookie header each phone sends afterwards, in the same order, and how many code requests
    failed with "database is locked" and were tried again."""
    cookies: dict[str, str] = {}
    locked: list[str] = []
    pending: asyncio.Queue[str] = asyncio.Queue()
    for phone in phones:
        pending.put_nowait(phone)

    async def latest_code(phone: str) -> str:
        async with sessions() as session:
            body = await session.scalar(
                select(OutboxMessage.body)
                .where(OutboxMessage.phone == phone)
                .order_by(OutboxMessage.created_at.desc())
                .limit(1)
            )
        found = CODE.search(body or "")
        assert found, f"no code for {phone}"
        return found.group(1)

    async def post(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
        for _attempt in range(20):
            response = await client.post(path, data=data)
            if response.status_code != 500:
                break
            # SQLite "database is locked": concurrent logins can collide (reported); try again.
            locked.append(path)
            await asyncio.sleep(random.uniform(0.01, 0.1))
        return response

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=morning.server.url, timeout=60) as client:
            while not pending.empty():
                phone = pending.get_nowait()
                client.cookies.clear()
                await client.get("/login")
                csrf = client.cookies["ymt_csrf"]
                response = await post(client, "/login/code", {"phone": phone, "_csrf_token": csrf})
                assert response.status_code == 303, _problem(response)
                code = await latest_code(phone)
                response = await post(client, "/login/verify", {"code": code, "_csrf_token": csrf})
                assert response.status_code == 303, _problem(response)
                cookies[phone] = f"ymt_session={client.cookies['ymt_session']}"

    async with morning.sessions() as sessions:
        await asyncio.gather(*(worker() for _ in range(workers)))
    return [cookies[phone] for phone in phones], len(locked)


def _problem(response: httpx.Response) -> str:
    """What a refused form says (its error messages), for an assertion."""
    errors = re.findall(r'class="(?:field-error|notice[^"]*)"[^>]*>(.*?)</', response.text, re.S)
    return f"{response.status_code} {response.request.url.path}: {errors or response.text[:300]}"


@dataclass(frozen=True)
class StaffSession:
    cookie: str  # the Cookie header
    csrf: str  # the form field that goes with it


async def log_in_staff(
    morning: Morning, role: Role, touchpoints: list[Touchpoint], count: int, prefix: str
) -> list[StaffSession]:
    """``count`` staff accounts, logged in through the login page. Staff logins are limited to
    10 a minute per network address, so each group of ten comes from its own local address."""
    async with morning.sessions() as sessions, sessions() as session:
        service = StaffService(session=session)
        for index in range(count):
            await service.create_staff(
                username=f"{prefix}{index}",
                display_name=f"{prefix} {index}",
                password=STAFF_PASSWORD,
                role=role,
                touchpoints=touchpoints,
            )
    logged_in: list[StaffSession] = []
    for index in range(count):
        transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{2 + index // 10}")
        async with httpx.AsyncClient(
            base_url=morning.server.url, transport=transport, timeout=60
        ) as client:
            await client.get("/staff/login")
            csrf = client.cookies["ymt_csrf"]
            response = await client.post(
                "/staff/login",
                data={
                    "username": f"{prefix}{index}",
                    "password": STAFF_PASSWORD,
                    "_csrf_token": csrf,
                },
            )
            assert response.status_code == 303, response.text[:300]
            cookie = f"ymt_session={client.cookies['ymt_session']}; ymt_csrf={csrf}"
            logged_in.append(StaffSession(cookie, csrf))
    return logged_in


async def cover_rooms(morning: Morning, username: str, queue_ids: list[UUID]) -> None:
    """Let one doctor's account call in every room, as a nurse's cover for each would (a doctor
    otherwise runs only the queues of their own sessions)."""
    async with morning.sessions() as sessions, sessions() as session:
        doctor = (await session.scalars(select(Staff).where(Staff.username == username))).one()
        for queue in await session.scalars(select(Queue).where(Queue.id.in_(queue_ids))):
            session.add(
                QueueCover(
                    queue_id=queue.id,
                    staff_id=doctor.id,
                    day=queue.service_day,
                    assigned_by="benchmark",
                )
            )
        await session.commit()


def rows_markdown(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A markdown table of ``rows`` with (heading, key) columns."""
    lines = [
        "| " + " | ".join(heading for heading, _key in columns) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(key, "")) for _heading, key in columns) + " |")
    return "\n".join(lines)
