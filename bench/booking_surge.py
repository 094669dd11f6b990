"""The release surge (放号): N patients (default 500) race for M places (default 100) at the
moment a session's places open, on SQLite and on PostgreSQL.

Each patient has an account and a browser of their own (cookie jar, CSRF token, session) and is
logged in before the moment. At the release minute all of them post a booking for a random time
slot of the session; a patient who gets the "now full" page tries one of the nearest free times
it offers, up to three tries in all. Reported: places booked, oversold places (must be 0), booking
requests per second over the surge, and the p50/p99 latency of a booking request.

Run it as a script::

    .venv/bin/python bench/booking_surge.py [--clients 500] [--places 100]

or import it and call ``run()``. PostgreSQL runs when PORTAL_BENCH_POSTGRES_URL (or
PORTAL_TEST_POSTGRES_URL) names a server; a database of its own is created there. With Redis too
(PORTAL_BENCH_REDIS_URL or PORTAL_TEST_REDIS_URL), a third row runs two server processes on
PostgreSQL with Redis between them, the clients alternating between the two.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from harness import crowd as surge
from harness.server import LiveServer, prepare_database
from portal.booking.models import Appointment, Slot

CLIENTS = 500
PLACES = 100
PLACES_PER_SLOT = 5
TRIES = 3
FREE_LINK = re.compile(r"/booking/confirm\?slot=([0-9a-f-]{36})")


def _postgres_base() -> str | None:
    return os.environ.get("PORTAL_BENCH_POSTGRES_URL") or os.environ.get("PORTAL_TEST_POSTGRES_URL")


async def _book_until_done(
    patron: surge.Patron, slots: list[str], rng: random.Random, latencies: list[float]
) -> Counter[str]:
    """One patient at the release minute: a random time, then the nearest free ones offered."""
    seen: Counter[str] = Counter()
    slot = rng.choice(slots)
    for _ in range(TRIES):
        started = time.perf_counter()
        response = await patron.post(
            "/booking/appointments", {"slot": slot, "patient": patron.patients[0]}
        )
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code == 303:
            seen["booked"] += 1
            return seen
        if response.status_code == 409:
            seen["full"] += 1
            offered = FREE_LINK.findall(response.text)
            if not offered:
                return seen
            slot = offered[0]
            continue
        seen[f"http {response.status_code}"] += 1
        return seen
    return seen


async def _surge(
    servers: list[LiveServer],
    url: str,
    release_at: datetime,
    clients: int,
    places: int,
    name: str,
) -> dict[str, Any]:
    server = servers[0]
    db = surge.Database(url)
    code = "SURGE"
    slots_needed = max(1, places // PLACES_PER_SLOT)
    await surge.import_timetable(
        server.url,
        surge.timetable(
            [
                surge.session_of(
                    code,
                    release_at.date() + timedelta(days=7),
                    slots=slots_needed,
                    places=PLACES_PER_SLOT,
                )
            ]
        ),
    )
    slots = await surge.slot_ids(db, code)
    crowd = await surge.patrons(
        lambda n: servers[n % len(servers)].url, db, await db.add_families(clients, sizes=(1,))
    )
    wait = (release_at - datetime.now(surge.SHANGHAI)).total_seconds()
    if wait < 0:
        await surge.close(crowd)
        await db.close()
        raise LeadTooShort(f"logging {clients} patients in took longer than the lead time")
    await asyncio.sleep(wait + 0.05)
    profiler = start_profiler(server)
    rng = random.Random(20261124)
    latencies: list[float] = []
    started = time.perf_counter()
    try:
        outcomes = await asyncio.gather(
            *(_book_until_done(p, slots, rng, latencies) for p in crowd)
        )
    finally:
        await surge.close(crowd)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.wait()
    total: Counter[str] = Counter()
    for outcome in outcomes:
        total.update(outcome)

    async def check(session: Any) -> tuple[int, int]:
        booked = await session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == "booked")
        )
        per_slot = (
            select(Appointment.slot_id, func.count().label("n"))
            .where(Appointment.status == "booked")
            .group_by(Appointment.slot_id)
            .subquery()
        )
        oversold = await session.scalar(
            select(func.coalesce(func.sum(per_slot.c.n - Slot.capacity), 0))
            .select_from(per_slot)
            .join(Slot, Slot.id == per_slot.c.slot_id)
            .where(per_slot.c.n > Slot.capacity)
        )
        return int(booked or 0), int(oversold or 0)

    booked, oversold = await db.run(check)
    await db.close()
    ordered = sorted(latencies)
    return {
        "database": name,
        "clients": clients,
        "places": places,
        "booked": booked,
        "oversold": oversold,
        "patients_without_a_place": clients - total["booked"],
        "requests": len(latencies),
        "full_pages": total["full"],
        "errors": sum(v for k, v in total.items() if k.startswith("http")),
        "seconds": round(seconds, 2),
        "per_second": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(statistics.median(ordered), 1) if ordered else 0.0,
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1)
        if ordered
        else 0.0,
    }


def start_profiler(server: LiveServer) -> subprocess.Popen[bytes] | None:
    """With BENCH_PROFILE=<file>, py-spy samples the server through the surge (collapsed stacks,
    C frames included unless BENCH_PROFILE_NATIVE=0: ``python -m bench.profile --summarise
    <file>`` reads them)."""
    target = os.environ.get("BENCH_PROFILE")
    if not target or server.process is None:
        return None
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(server.process.pid),
            "--duration",
            os.environ.get("BENCH_PROFILE_SECONDS", "8"),
            "--rate",
            "200",
            "--format",
            "raw",
            *(["--native"] if os.environ.get("BENCH_PROFILE_NATIVE", "1") == "1" else []),
            "--output",
            target,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class LeadTooShort(RuntimeError):
    """Everyone was not logged in before the release second (a busy machine): try again."""


def _one(
    fresh_database: Callable[[int], str],
    name: str,
    clients: int,
    places: int,
    log: Path,
    redis: str | None = None,
) -> dict[str, Any]:
    # Time to migrate, start, import and log everyone in before the release second; doubled
    # (on a fresh database) when a busy machine needs longer.
    lead = 30 + clients * 0.08
    for attempt in range(3):
        try:
            return _attempt(fresh_database(attempt), name, clients, places, log, lead, redis)
        except LeadTooShort:
            lead *= 2
    raise LeadTooShort(f"could not log {clients} patients in before the release second")


def _attempt(
    url: str,
    name: str,
    clients: int,
    places: int,
    log: Path,
    lead: float,
    redis: str | None,
) -> dict[str, Any]:
    """One process, or two with Redis between them when ``redis`` is given (clients alternate
    between them, as a load balancer would send them)."""
    release_at = (datetime.now(surge.SHANGHAI) + timedelta(seconds=lead)).replace(microsecond=0)
    if release_at.date() != datetime.now(surge.SHANGHAI).date():
        raise RuntimeError("too close to midnight in Shanghai: run the surge again later")
    env = {**surge.SERVER_ENV, "PORTAL_BOOKING_RELEASE_TIME": release_at.strftime("%H:%M:%S")}
    prepare_database(url, seed=False, **env)
    servers = [
        LiveServer(url, redis_url=redis, log_path=log.with_suffix(f".{n}.log"), extra_env=env)
        for n in range(2 if redis else 1)
    ]
    try:
        for server in servers:
            server.start()
        return asyncio.run(_surge(servers, url, release_at, clients, places, name))
    finally:
        for server in servers:
            server.stop()


def _redis_base() -> str | None:
    return os.environ.get("PORTAL_BENCH_REDIS_URL") or os.environ.get("PORTAL_TEST_REDIS_URL")


def run(clients: int = CLIENTS, places: int = PLACES) -> list[dict[str, Any]]:
    """The surge on SQLite (one process), and on PostgreSQL when a server is configured: one
    process, and two with Redis between them when Redis is configured too."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(
            _one(
                lambda n: f"sqlite+aiosqlite:///{tmp}/surge{n}.db",
                "SQLite, 1 process",
                clients,
                places,
                Path(tmp) / "sqlite.log",
            )
        )
        base = _postgres_base()
        redis = _redis_base()
        postgres_runs: list[tuple[str, str, str | None]] = []
        if base:
            postgres_runs.append(("PostgreSQL, 1 process", "postgres.log", None))
            if redis:
                postgres_runs.append(("PostgreSQL, 2 processes + Redis", "postgres2.log", redis))
        for name, log, between in postgres_runs:
            rows.append(
                _one(
                    lambda n: asyncio.run(surge.fresh_postgres(str(base), "ymt_bench_surge")),
                    name,
                    clients,
                    places,
                    Path(tmp) / log,
                    between,
                )
            )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{rows[0]['clients']} patients, each logged in with a session of their own, race for "
        f"{rows[0]['places']} places ({PLACES_PER_SLOT} per 15-minute slot) the second they are "
        f"released; on a full page each tries the nearest free time offered (up to {TRIES} tries). "
        "SQLite with one server process; PostgreSQL with one, and with two behind Redis.",
        "",
        "| database | booked | oversold | without a place | booking requests | full pages | "
        "errors | requests/s | p50 | p99 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['database']} | {row['booked']} | {row['oversold']} | "
            f"{row['patients_without_a_place']} | {row['requests']} | {row['full_pages']} | "
            f"{row['errors']} | {row['per_second']} | {row['p50_ms']} ms | {row['p99_ms']} ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--places", type=int, default=PLACES)
    arguments = parser.parse_args()
    print(markdown(run(arguments.clients, arguments.places)))
