"""Scans per second at the triage desk: ``POST /staff/scan/triage`` with a live code from a
patient's phone, each one a check-in (verify the code, audit the scan, draw the ticket, mark the
appointment, tell the room's boards). For comparison, on the same server in the same run: the
scan API (``POST /api/v1/scans``: verify and audit only) and ``/healthz``.

Closed loop: each station sends its next scan when the last one is answered; one station alone
(a nurse's scanner can go no faster), then two and eight at once. One server process on SQLite.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time as clock
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ecard
from bench.queue_load import ClosedLoopPlan, Request, in_own_process, summary
from bench.queue_setup import (
    Morning,
    Person,
    add_patients,
    busy_morning,
    log_in_staff,
    rows_markdown,
)
from harness.server import SERVER_SECRET
from portal.api.services import create_client
from portal.cards.keys import build_keyring
from portal.core.touchpoints import Role, Touchpoint
from portal.settings import AppSettings, Settings

PATIENTS = int(os.environ.get("BENCH_QUEUE_SCAN_PATIENTS", "3000"))
ALONE = int(os.environ.get("BENCH_QUEUE_SCANS_ALONE", "300"))
TOGETHER = int(os.environ.get("BENCH_QUEUE_SCANS_TOGETHER", "1200"))
STATIONS = 8
NURSES = 30  # a scan limit applies per staff member: spread the scans so it never binds
API_CLIENTS = 10  # likewise per API client
SLOT_STARTS = [time(9, 0), time(9, 15), time(9, 30), time(9, 45)]  # check-in open at 08:50


async def _api_tokens(morning: Morning) -> list[str]:
    async with morning.sessions() as sessions, sessions() as session:
        tokens = [
            await create_client(session, f"bench scanner {i}", ["scan:*"])
            for i in range(API_CLIENTS)
        ]
        await session.commit()
        return tokens


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with busy_morning(time(8, 50)) as morning:
        people = asyncio.run(add_patients(morning, PATIENTS, SLOT_STARTS))
        nurses = asyncio.run(
            log_in_staff(morning, Role.NURSE, [Touchpoint.TRIAGE], NURSES, "benchnurse")
        )
        tokens = asyncio.run(_api_tokens(morning))
        keyring = build_keyring(
            Settings(app=AppSettings(environment="development", secret_key=SERVER_SECRET))
        )
        host, port = morning.host_port
        assert morning.server.process is not None
        pid = morning.server.process.pid
        waiting = list(people)

        def live_code(person: Person) -> str:
            """The code the patient's phone shows right now (the server's clock, moved)."""
            return ecard.issue_code(
                keyring, person.card_number, 0, clock.time() + morning.offset_seconds
            )

        def station_scan(index: int, person: Person) -> Request:
            nurse = nurses[index % len(nurses)]
            body = urlencode({"_csrf_token": nurse.csrf, "code": live_code(person)}).encode()
            return Request(
                "POST",
                "/staff/scan/triage",
                {
                    "Cookie": nurse.cookie,
                    "HX-Request": "true",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                body,
            )

        def api_scan(index: int, person: Person) -> Request:
            body = json.dumps({"code": live_code(person), "touchpoint": "triage"}).encode()
            return Request(
                "POST",
                "/api/v1/scans",
                {
                    "Authorization": f"Bearer {tokens[index % len(tokens)]}",
                    "Content-Type": "application/json",
                },
                body,
            )

        def healthz(_index: int, _person: Person) -> Request:
            return Request("GET", "/healthz")

        def step(name: str, make: Any, count: int, stations: int, expect: str, fresh: bool) -> None:
            """``count`` requests from ``stations`` stations; ``fresh``: patients not yet seen."""
            chosen = [waiting.pop() for _ in range(count)] if fresh else people[:count]
            requests = [make(i, person) for i, person in enumerate(chosen)]
            plan = ClosedLoopPlan(
                host=host,
                port=port,
                server_pid=pid,
                requests=[requests[s::stations] for s in range(stations)],
                expect=expect,
            )
            result = in_own_process("closed", plan)
            rows.append(
                summary(
                    name,
                    result,
                    stations=stations,
                    expected=result["expected"],
                    server_cpu_ms_per_request=round(
                        1000 * result["server_cpu_s"] / max(result["requests"], 1), 2
                    ),
                )
            )

        for stations, count in ((1, ALONE), (2, ALONE), (STATIONS, TOGETHER)):
            step("GET /healthz (baseline)", healthz, count, stations, "ok", False)
            step(
                "POST /staff/scan/triage (check-in)",
                station_scan,
                count,
                stations,
                'class="desk-outcome checked-in"',
                True,
            )
            step(
                "POST /api/v1/scans (verify only)",
                api_scan,
                count,
                stations,
                '"accepted":true',
                False,
            )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    header = (
        "Closed loop: each station sends its next scan when the last is answered. Every triage "
        "scan is a live QR code of a different patient with an appointment this morning, and "
        "checks them in. One server process (uvicorn) on SQLite; the load generator runs in its "
        f"own process on the same {os.cpu_count()}-core machine. CPU: the server process's "
        "user+system time over wall time (100 % = one core). 'as expected' counts answers that "
        "were a check-in (station), an accepted scan (API) or ok (healthz)."
    )
    columns = [
        ("request", "name"),
        ("stations", "stations"),
        ("requests", "requests"),
        ("per second", "per_second"),
        ("p50 ms", "p50_ms"),
        ("p99 ms", "p99_ms"),
        ("server CPU %", "server_cpu_pct"),
        ("CPU ms/request", "server_cpu_ms_per_request"),
        ("as expected", "expected"),
        ("4xx/5xx", "failed"),
        ("errors", "errors"),
        ("load avg", "load"),
    ]
    return header + "\n\n" + rows_markdown(rows, columns)


if __name__ == "__main__":
    print(markdown(run()))
