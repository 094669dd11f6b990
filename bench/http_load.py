"""Load against a real server: many clients at once, latency percentiles, requests per second.

Shared by the HTTP benchmarks. Every figure is taken against a baseline measured in the same
run on the same server (a trivial endpoint), because this machine is shared and noisy.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "requests": self.requests,
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "errors": self.errors,
        }


async def log_in(client: httpx.AsyncClient, phone: str) -> None:
    """Log in through the pages, as a patient does (code from the development outbox)."""
    await client.get("/")
    token = client.cookies.get("ymt_csrf")
    response = await client.post("/login/code", data={"phone": phone, "_csrf_token": token})
    assert response.status_code in (200, 303), response.text[:200]
    outbox = (await client.get("/dev/outbox")).text
    block = next(b for b in outbox.split('<li class="panel">')[1:] if phone in b)
    code = CODE.search(block.split("outbox-body", 1)[1]).group(1)  # type: ignore[union-attr]
    response = await client.post("/login/verify", data={"code": code, "_csrf_token": token})
    assert response.status_code == 303, response.text[:200]


async def hammer(
    name: str,
    clients: list[httpx.AsyncClient],
    path: str,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Every client requests ``path`` in a loop for ``seconds``; count and time each answer."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.get(path, headers=headers)
                if response.status_code >= 400:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in clients))
    return LoadResult(name, len(latencies), time.perf_counter() - started, latencies, errors)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
