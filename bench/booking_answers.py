"""What each of the release surge's two answers costs the server, asked one at a time: a booking
that gets its place (303) and a "this time is now full" page (409).

The surge (``python -m bench booking``) is some hundred bookings and several hundred full pages
arriving in the same second; its p99 is roughly the sum of their costs. Here each kind is asked
sequentially by logged-in patients (one server process, SQLite) and the server's CPU time
(user + system, all its threads, from /proc) is divided by the answers. Same-run baseline: the
server's CPU per ``/healthz``.

    .venv/bin/python -m bench booking-answers
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queue_load import cpu_seconds
from harness import crowd
from harness.server import LiveServer, prepare_database

ANSWERS = 300
FULL_SLOTS = 4


async def _measure(
    pid: int, count: int, ask: Callable[[int], Awaitable[httpx.Response]]
) -> dict[str, Any]:
    codes: Counter[int] = Counter()
    cpu, started = cpu_seconds(pid), perf_counter()
    for i in range(count):
        codes[(await ask(i)).status_code] += 1
    return {
        "cpu_ms": (cpu_seconds(pid) - cpu) / count * 1000,
        "wall_ms": (perf_counter() - started) / count * 1000,
        "codes": dict(codes),
    }


async def _answers(server: LiveServer, url: str, count: int) -> list[dict[str, Any]]:
    db = crowd.Database(url)
    day = datetime.now(crowd.SHANGHAI).date() + timedelta(days=3)
    await crowd.import_timetable(
        server.url,
        crowd.timetable(
            [
                crowd.session_of("FULL", day, slots=FULL_SLOTS, places=1),
                crowd.session_of("FREE", day, slots=40, places=count // 40 + 1, start="13:30"),
            ]
        ),
    )
    full = await crowd.slot_ids(db, "FULL")
    free = await crowd.slot_ids(db, "FREE")
    families = await db.add_families(count + FULL_SLOTS, sizes=(1,))
    patrons = await crowd.patrons(server.url, db, families)
    try:
        for patron, slot in zip(patrons, full, strict=False):  # fill the FULL session
            response = await patron.post(
                "/booking/appointments", {"slot": slot, "patient": patron.patients[0]}
            )
            assert response.status_code == 303, response.status_code
        assert server.process is not None
        pid = server.process.pid
        loser = patrons[FULL_SLOTS]
        async with httpx.AsyncClient(base_url=server.url) as probe:
            rows = [
                {
                    "answer": "GET /healthz (baseline)",
                    **await _measure(pid, count, lambda _: probe.get("/healthz")),
                },
                {
                    "answer": '"now full" page (409)',
                    **await _measure(
                        pid,
                        count,
                        lambda _: loser.post(
                            "/booking/appointments",
                            {"slot": full[0], "patient": loser.patients[0]},
                        ),
                    ),
                },
                {
                    "answer": "booked (303)",
                    **await _measure(
                        pid,
                        count,
                        lambda i: patrons[FULL_SLOTS + i].post(
                            "/booking/appointments",
                            {
                                "slot": free[i % len(free)],
                                "patient": patrons[FULL_SLOTS + i].patients[0],
                            },
                        ),
                    ),
                },
            ]
    finally:
        await crowd.close(patrons)
        await db.close()
    return rows


def run(count: int = ANSWERS) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/answers.db"
        env = {
            **crowd.SERVER_ENV,
            "PORTAL_BOOKING_RELEASE_TIME": "00:00:01",
            "PORTAL_BOOKING_REQUESTS_PER_ACCOUNT_PER_MINUTE": "1000000",
        }
        prepare_database(url, seed=False, **env)
        with LiveServer(url, extra_env=env, log_path=Path(tmp) / "server.log") as server:
            return asyncio.run(_answers(server, url, count))


def markdown(rows: list[dict[str, Any]]) -> str:
    baseline = rows[0]["cpu_ms"]
    lines = [
        f"Each answer asked {sum(rows[0]['codes'].values())} times, one at a time, by logged-in "
        "patients (brotli accepted, as a browser does); server CPU over all its threads. "
        "One process, SQLite.",
        "",
        "| answer | server CPU each | vs /healthz | wall each | status codes |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(row["codes"].items()))
        lines.append(
            f"| {row['answer']} | {row['cpu_ms']:.2f} ms | {row['cpu_ms'] / baseline:.1f}× | "
            f"{row['wall_ms']:.2f} ms | {codes} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
