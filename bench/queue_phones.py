"""3,000 phones following their place in the queue: each asks ``GET /queue/status`` every 15 s,
200 requests a second in all, with ``If-None-Match`` after its first answer as a browser does,
against ONE server process on SQLite. Same-run baseline: ``/healthz`` at the same rate.

The load is open-loop (every request leaves when it is due, whatever the server does) from a
process of its own; latency counts from the moment a request was due. While it runs, the 30
doctors call a patient every 6 minutes each (one call every 12 s somewhere), which changes the
answer for that room's 100 phones: their next request is a full answer, the rest get 304.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import time, timedelta
from pathlib import Path
from time import perf_counter, sleep
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queue_load import OpenLoopPlan, cpu_seconds, in_own_process, percentile, summary
from bench.queue_setup import (
    add_patients,
    busy_morning,
    check_everyone_in,
    cover_rooms,
    log_in_phones,
    log_in_staff,
    rows_markdown,
)
from portal.core.touchpoints import Role, Touchpoint

PHONES = int(os.environ.get("BENCH_QUEUE_PHONES", "3000"))
PERIOD_S = 15.0
SECONDS = float(os.environ.get("BENCH_QUEUE_SECONDS", "40"))
RATE = PHONES / PERIOD_S
CALL_EVERY_S = 12.0
SLOT_STARTS = [time(8 + q // 4, 15 * (q % 4)) for q in range(16)]  # 08:00 … 11:45


def _calls(queue_ids: list[Any], seconds: float) -> list[tuple[float, str]]:
    """A call somewhere every CALL_EVERY_S seconds, room after room."""
    calls, at, index = [], CALL_EVERY_S / 2, 0
    while at < seconds:
        calls.append((at, f"/staff/console/{queue_ids[index % len(queue_ids)]}/next"))
        at += CALL_EVERY_S
        index += 1
    return calls


setup_notes: list[str] = []


def settle(pid: int, seconds: float = 120.0) -> None:
    """Wait until the server is idle again (it may still be answering requests that an earlier
    row's phones gave up on), so each row starts from the same state."""
    deadline = perf_counter() + seconds
    while perf_counter() < deadline:
        before = cpu_seconds(pid)
        sleep(1.0)
        if cpu_seconds(pid) - before < 0.1:
            return


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    setup_notes.clear()
    with busy_morning(time(9, 0)) as morning:
        people = asyncio.run(add_patients(morning, PHONES, SLOT_STARTS))
        queue_ids = asyncio.run(check_everyone_in(morning, timedelta(minutes=6)))
        started = perf_counter()
        cookies, locked = asyncio.run(log_in_phones(morning, [person.phone for person in people]))
        setup_notes.append(
            f"{len(cookies)} phones logged in through the pages in {perf_counter() - started:.0f} s; "
            f"{locked} login requests failed with SQLite 'database is locked' and were retried."
        )
        doctor = asyncio.run(
            log_in_staff(morning, Role.DOCTOR, [Touchpoint.CLINIC], 1, "benchdoc")
        )[0]
        asyncio.run(cover_rooms(morning, "benchdoc0", queue_ids))
        host, port = morning.host_port
        assert morning.server.process is not None
        pid = morning.server.process.pid
        etags: list[str | None] = []

        def step(name: str, path: str, rate: float, *, conditional: bool, calls: bool) -> None:
            plan = OpenLoopPlan(
                host=host,
                port=port,
                server_pid=pid,
                path=path,
                cookies=cookies,
                rate=rate,
                seconds=SECONDS,
                conditional=conditional,
                prime=conditional,
                calls=_calls(queue_ids, SECONDS) if calls else [],
                doctor_cookie=doctor.cookie,
                doctor_csrf=doctor.csrf,
                etags=etags if conditional else [],
            )
            settle(pid)
            result = in_own_process("open", plan)
            if conditional:
                etags[:] = result["etags"]
            statuses = result["statuses"]
            rows.append(
                summary(
                    name,
                    result,
                    offered_per_second=round(rate, 1),
                    full=statuses.get(200, 0),
                    not_modified=statuses.get(304, 0),
                    calls=sum(v for k, v in statuses.items() if k < 0),
                    server_cpu_ms_per_request=round(
                        1000 * result["server_cpu_s"] / max(result["requests"], 1), 2
                    ),
                    dispatch_lag_p99_ms=round(percentile(result["lags_ms"], 99), 1),
                    connections=result["connections"],
                )
            )

        step("GET /healthz (baseline)", "/healthz", RATE, conditional=False, calls=False)
        step(
            "GET /queue/status, If-None-Match", "/queue/status", RATE, conditional=True, calls=True
        )
        step(
            "GET /queue/status, If-None-Match, ×1.5 rate",
            "/queue/status",
            RATE * 1.5,
            conditional=True,
            calls=True,
        )
        step(  # last: one process cannot keep up, and its backlog takes a while to clear
            "GET /queue/status, no ETag (every answer in full)",
            "/queue/status",
            RATE,
            conditional=False,
            calls=True,
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{PHONES} phones, each polling every {PERIOD_S:.0f} s ({RATE:.0f} requests/s offered, "
        f"open loop, {SECONDS:.0f} s per row after every phone has had its first answer); "
        f"a doctor calls a patient every {CALL_EVERY_S:.0f} s somewhere in 30 rooms of 100 "
        f"tickets. One server process (uvicorn) on SQLite; the load generator runs in its own "
        f"process on the same {os.cpu_count()}-core machine. Latency counts from the moment a "
        "request was due; a phone gives up after 30 s (an error). CPU is the server process's "
        "user+system time over wall time (100 % = one core). 'load avg' is the machine's 1-minute "
        "load average when the row ended: the machine is shared, and other work on it shows in "
        "the latencies more than in CPU ms/request."
    )
    columns = [
        ("request", "name"),
        ("offered/s", "offered_per_second"),
        ("achieved/s", "per_second"),
        ("p50", "p50_ms"),
        ("p99", "p99_ms"),
        ("max", "max_ms"),
        ("server CPU %", "server_cpu_pct"),
        ("CPU ms/request", "server_cpu_ms_per_request"),
        ("200", "full"),
        ("304", "not_modified"),
        ("calls", "calls"),
        ("4xx/5xx", "failed"),
        ("errors", "errors"),
        ("generator CPU %", "generator_cpu_pct"),
        ("dispatch lag p99", "dispatch_lag_p99_ms"),
        ("load avg", "load"),
    ]
    notes = "".join(f"\n- {note}" for note in setup_notes)
    return header + "\n\n" + rows_markdown(rows, columns) + "\n\n(latencies in ms)\n" + notes


if __name__ == "__main__":
    print(markdown(run()))
