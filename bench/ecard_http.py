"""`/ecard/code` requests per second, against `/healthz` on the same server in the same run.

A crowd of phones refreshing their cards should cost little: each card's QR is drawn once per
30-second window and then served from the cache.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.http_load import hammer, log_in
from harness.server import LiveServer, prepare_database

CLIENTS = 20
SECONDS = 6.0


async def _measure(server: LiveServer) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=CLIENTS * 2)
    patient = httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30)
    await log_in(patient, "13800138000")  # the demo family: a card for the current patient
    cookies = patient.cookies
    clients = [
        httpx.AsyncClient(base_url=server.url, cookies=cookies, limits=limits, timeout=30)
        for _ in range(CLIENTS)
    ]
    try:
        baseline = await hammer("GET /healthz (baseline)", clients, "/healthz", SECONDS)
        card = await hammer(
            "GET /ecard/code (htmx)",
            clients,
            "/ecard/code",
            SECONDS,
            headers={"HX-Request": "true"},
        )
        page = await hammer("GET /ecard (whole page)", clients, "/ecard", SECONDS)
    finally:
        for client in [patient, *clients]:
            await client.aclose()
    rows = [baseline.row(), card.row(), page.row()]
    for row in rows[1:]:
        row["ratio_to_baseline"] = round(row["per_second"] / rows[0]["per_second"], 3)
    return rows


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        prepare_database(url)
        with LiveServer(
            url, extra_env={"PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR": "1000"}
        ) as server:
            return asyncio.run(_measure(server))


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{CLIENTS} clients at once for {SECONDS:.0f} s each, one server process on SQLite.",
        "",
        "| request | requests/s | p50 | p99 | errors | vs /healthz |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = row.get("ratio_to_baseline")
        lines.append(
            f"| {row['name']} | {row['per_second']} | {row['p50_ms']} ms | {row['p99_ms']} ms | "
            f"{row['errors']} | {'' if ratio is None else f'{ratio:.2f}×'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
