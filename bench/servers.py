"""uvicorn against granian (a Rust ASGI server), side by side on the same pages and the same
database, one process each, measured with wrk in the same run."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import wrk
from bench.pages import LIFTED, _logged_in
from harness.server import LiveServer, prepare_database

SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
SERVERS = ("uvicorn", "granian")


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SERVERS:
            # A database each: the demo patient may ask for one login code a minute.
            url = f"sqlite+aiosqlite:///{Path(tmp) / f'{name}.db'}"
            prepare_database(url)
            env = {**LIFTED, "PORTAL_SERVER": name}
            with LiveServer(url, extra_env=env, log_path=Path(tmp) / f"{name}.log") as server:
                cookie, paths = asyncio.run(_logged_in(server.url))
                logged_in = {"Cookie": cookie, "Accept-Encoding": "br"}
                for label, path, headers in (
                    ("/healthz", "/healthz", {}),
                    ("/ anonymous", "/", {"Accept-Encoding": "br"}),
                    ("/ logged in (elder home)", "/", logged_in),
                    (
                        "/queue/status 304",
                        "/queue/status",
                        {**logged_in, "HX-Request": "true", "If-None-Match": paths["etag"]},
                    ),
                ):
                    result = wrk.run(server.url + path, headers=headers, seconds=SECONDS)
                    rows.append({"server": name, "request": label, "result": result})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    by = {(r["server"], r["request"]): r["result"] for r in rows}
    requests = list(dict.fromkeys(r["request"] for r in rows))
    lines = [
        f"`wrk -t1 -c16 -d{SECONDS}s`, one process each, SQLite, the same demo data.",
        "",
        "| request | uvicorn req/s | granian req/s | granian / uvicorn | uvicorn p99 ms | granian p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for request in requests:
        u, g = by[("uvicorn", request)], by[("granian", request)]
        ratio = g.per_second / u.per_second if u.per_second else 0
        lines.append(
            f"| {request} | {u.per_second:,.0f} | {g.per_second:,.0f} | {ratio:.2f}× | "
            f"{u.p99_ms:.1f} | {g.p99_ms:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
