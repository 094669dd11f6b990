"""What a page costs: our pages against a bare Litestar + Jinja page of the same size, served the
same way, measured with `wrk` in the same run (this machine is shared and noisy: ratios move much
less than absolute figures).

Rows: the baseline, anonymous pages, the logged-in pages a patient uses most (home with the card,
the card, appointments, the queue, a booking session), an unchanged queue status (304, against our
own /healthz) and our /healthz against a bare one.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import wrk
from bench.http_load import log_in
from harness.server import ROOT, LiveServer, free_port, prepare_database

SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
DEMO_PHONE = "13800138000"
LIFTED = {
    "PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR": "100000",
    "PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE": "100000",
}


class BareServer:
    """The baseline app (bench/bare/app.py) under uvicorn, one process, like ours."""

    def __init__(self, page_bytes: int) -> None:
        self.port = free_port()
        self.page_bytes = page_bytes
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BareServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.bare.app:app",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env={**os.environ, "BARE_PAGE_BYTES": str(self.page_bytes)},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the bare server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


async def _logged_in(base_url: str) -> tuple[str, dict[str, str]]:
    """A logged-in patient's Cookie header and the paths of their pages."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await log_in(client, DEMO_PHONE)
        # Elder mode: the home page shows the patient's card (the heaviest home).
        token = client.cookies.get("ymt_csrf")
        await client.post("/settings/mode", data={"mode": "elder", "_csrf_token": token})
        booking = (await client.get("/booking")).text
        department = re.search(r'href="(/booking/departments/[0-9a-f-]{36})"', booking)
        assert department, "no department on /booking"
        sessions = (await client.get(department[1])).text
        session = re.search(r'href="(/booking/sessions/[0-9a-f-]{36})"', sessions)
        assert session, "no session on the department page"
        status = await client.get("/queue/status", headers={"HX-Request": "true"})
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        return cookie, {
            "session": session[1],
            "etag": status.headers.get("etag", ""),
        }


def _size(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return len(response.read())


def _measure(url: str, headers: dict[str, str] | None = None) -> wrk.WrkResult:
    """A second of warming up first (templates compiled, readings kept, SQLAlchemy's statement
    cache filled: what a server that has been up a minute has done), then the measured run."""
    wrk.run(url, headers=headers or {}, seconds=1)
    return wrk.run(url, headers=headers or {}, seconds=SECONDS)


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'portal.db'}"
        prepare_database(url)
        with LiveServer(url, extra_env=LIFTED, log_path=Path(tmp) / "server.log") as ours:
            cookie, paths = asyncio.run(_logged_in(ours.url))
            logged_in = {"Cookie": cookie}
            home_bytes = _size(ours.url + "/", logged_in)
            with BareServer(home_bytes) as bare:
                baseline = _measure(bare.url + "/page")
                bare_health = _measure(bare.url + "/healthz")
                pages = [
                    ("/ anonymous", "/", {}),
                    ("/login anonymous", "/login", {}),
                    ("/waiting anonymous", "/waiting", {}),
                    ("/ logged in (elder home with the card)", "/", logged_in),
                    ("/ecard logged in", "/ecard", logged_in),
                    ("/appointments logged in", "/appointments", logged_in),
                    ("/queue logged in", "/queue", logged_in),
                    ("/booking/sessions/… logged in", paths["session"], logged_in),
                    ("/bills logged in (the pay page)", "/bills", logged_in),
                ]
                rows.append(_row("bare Litestar + Jinja page (baseline)", baseline, baseline))
                for name, path, headers in pages:
                    result = _measure(ours.url + path, headers)
                    row = _row(name, result, baseline)
                    row["bytes"] = _size(ours.url + path, headers)
                    rows.append(row)
                ours_health = _measure(ours.url + "/healthz")
                unchanged = _measure(
                    ours.url + "/queue/status",
                    {**logged_in, "HX-Request": "true", "If-None-Match": paths["etag"]},
                )
                rows.append(
                    _row("/queue/status unchanged (304) vs our /healthz", unchanged, ours_health)
                )
                rows.append(_row("our /healthz vs a bare /healthz", ours_health, bare_health))
    return rows


def _row(name: str, result: wrk.WrkResult, baseline: wrk.WrkResult) -> dict[str, Any]:
    return {
        "request": name,
        "per_second": round(result.per_second),
        "p50_ms": round(result.p50_ms, 1),
        "p99_ms": round(result.p99_ms, 1),
        "ratio": round(result.per_second / baseline.per_second, 2) if baseline.per_second else 0,
        "bad": result.non_2xx_3xx + result.errors,
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"`wrk -t1 -c16 -d{SECONDS}s`, one server process each, SQLite.",
        "",
        "| request | requests/s | p50 ms | p99 ms | vs baseline | bytes | non-2xx/3xx or errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['request']} | {row['per_second']:,} | {row['p50_ms']} | {row['p99_ms']} | "
            f"{row['ratio']}× | {row.get('bytes', '')} | {row['bad']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
