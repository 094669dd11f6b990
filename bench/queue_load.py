"""A lean HTTP/1.1 load generator for the queue benchmarks, run in a process of its own.

Two shapes of load:

- **open loop** (``run_open_loop``): requests leave at fixed, pre-drawn moments whatever the
  server does, so a slow server shows up as latency (measured from the moment a request was due),
  never as a lower offered rate. Thousands of phones polling on their own timers look like this.
- **closed loop** (``run_closed_loop``): N stations, each sending its next scan when the last one
  is answered. A desk with a scanner looks like this.

Requests are written by hand on keep-alive connections (a new one is opened whenever all are
busy), so the generator costs far less CPU than the server it measures; its own CPU use is
reported anyway, because both share this machine.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
from dataclasses import dataclass, field
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TIMEOUT_S = 30.0  # a phone gives up on an answer after this long (counted as an error)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Connections:
    """Keep-alive connections to one server; a new one whenever every open one is busy."""

    def __init__(self, host: str, port: int, local_address: str | None = None) -> None:
        self.host, self.port, self.local_address = host, port, local_address
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.stale = 0

    async def send(self, request: Request) -> Answer:
        while self.idle:  # reuse a kept-alive connection …
            reader, writer = self.idle.pop()
            try:
                return await self._exchange(reader, writer, request)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                    raise
                self.stale += 1  # … the server had just closed it (keep-alive timeout): as a
                # browser does, send again on another connection
        local = (self.local_address, 0) if self.local_address else None
        reader, writer = await asyncio.open_connection(self.host, self.port, local_addr=local)
        self.opened += 1
        return await self._exchange(reader, writer, request)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
    ) -> Answer:
        try:
            writer.write(request.encode(f"{self.host}:{self.port}"))
            answer = await _read_answer(reader)
        except BaseException:
            writer.close()
            raise
        if answer.headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer))
        return answer

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    head = await reader.readuntil(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if status in (204, 304) or 100 <= status < 200:
        return Answer(status, headers, b"")
    if "content-length" in headers:
        return Answer(status, headers, await reader.readexactly(int(headers["content-length"])))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return Answer(status, headers, b"".join(chunks))
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    return Answer(status, headers, await reader.read())


# -- open loop: phones on their own timers ------------------------------------------------------


@dataclass
class Phone:
    """One phone following its queue page: its session cookie and the last ETag it was given."""

    cookie: str
    etag: str | None = None


@dataclass
class OpenLoopPlan:
    host: str
    port: int
    server_pid: int
    path: str
    cookies: list[str]
    rate: float  # requests per second, all phones together
    seconds: float
    conditional: bool  # send If-None-Match with the ETag of the previous answer
    prime: bool = True  # first, one unmeasured request per phone that has no ETag yet
    etags: list[str | None] = field(default_factory=list)  # from an earlier run, per phone
    calls: list[tuple[float, str]] = field(default_factory=list)  # (at s, console path)
    doctor_cookie: str = ""
    doctor_csrf: str = ""
    seed: int = 1


def _schedule(phones: int, rate: float, seconds: float, seed: int) -> list[tuple[float, int]]:
    """Each phone asks every ``phones / rate`` seconds from a random phase: (at, phone), in order."""
    import random

    rng = random.Random(seed)
    period = phones / rate
    moments = []
    for phone in range(phones):
        at = rng.uniform(0, period)
        while at < seconds:
            moments.append((at, phone))
            at += period
    moments.sort()
    return moments


async def _open_loop(plan: OpenLoopPlan) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    connections = Connections(plan.host, plan.port)
    known = plan.etags or [None] * len(plan.cookies)
    phones = [Phone(cookie, etag) for cookie, etag in zip(plan.cookies, known, strict=True)]

    def request_for(phone: Phone) -> Request:
        headers = {"Cookie": phone.cookie, "HX-Request": "true", "Accept": "text/html"}
        if plan.conditional and phone.etag:
            headers["If-None-Match"] = phone.etag
        return Request("GET", plan.path, headers)

    async def ask(phone: Phone) -> Answer:
        answer = await connections.send(request_for(phone))
        if "etag" in answer.headers:
            phone.etag = answer.headers["etag"]
        return answer

    if plan.prime:  # every phone's first answer (a full page part with its ETag), not measured
        semaphore = asyncio.Semaphore(16)

        async def first(phone: Phone) -> None:
            async with semaphore:
                await ask(phone)

        await asyncio.gather(*(first(p) for p in phones if p.etag is None))

    latencies: list[float] = []
    lags: list[float] = []
    timeline: list[tuple[float, float, int]] = []  # (due, s from start; latency, ms; status)
    statuses: dict[int, int] = {}
    errors: list[str] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(phone: Phone, due: float) -> None:
        lags.append((loop.time() - due) * 1000)
        status = 0
        try:
            answer = await asyncio.wait_for(ask(phone), TIMEOUT_S)
            status = answer.status
            statuses[status] = statuses.get(status, 0) + 1
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            errors.append(type(exc).__name__)
        latencies.append((loop.time() - due) * 1000)
        timeline.append((due - started, latencies[-1], status))

    async def call(path: str, due: float) -> None:
        body = f"_csrf_token={plan.doctor_csrf}".encode()
        headers = {
            "Cookie": plan.doctor_cookie,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        try:
            answer = await connections.send(Request("POST", path, headers, body))
            statuses[-answer.status] = statuses.get(-answer.status, 0) + 1  # calls: negative
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(f"call: {type(exc).__name__}")

    # (when, what): a phone's poll, or a doctor's call
    events: list[tuple[float, Phone | str]] = [
        (at, phones[i]) for at, i in _schedule(len(phones), plan.rate, plan.seconds, plan.seed)
    ]
    events += plan.calls
    events.sort(key=lambda event: event[0])

    cpu_before, own_before = cpu_seconds(plan.server_pid), _own_cpu()
    started = loop.time()
    for at, what in events:
        due = started + at
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(what, due) if isinstance(what, Phone) else call(what, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    wall = loop.time() - started
    cpu_after, own_after = cpu_seconds(plan.server_pid), _own_cpu()
    connections.close()
    return {
        "requests": len(latencies),
        "seconds": wall,
        "latencies_ms": latencies,
        "lags_ms": lags,
        "statuses": statuses,
        "errors": errors,
        "server_cpu_s": cpu_after - cpu_before,
        "generator_cpu_s": own_after - own_before,
        "connections": connections.opened,
        "stale_connections": connections.stale,
        "timeline": timeline,
        "etags": [phone.etag for phone in phones],
    }


# -- closed loop: stations scanning card after card -------------------------------------------


@dataclass
class ClosedLoopPlan:
    host: str
    port: int
    server_pid: int
    requests: list[list[Request]]  # one list per station, sent one after another
    expect: str = ""  # count the answers whose body contains this
    local_address: str | None = None


async def _closed_loop(plan: ClosedLoopPlan) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    bodies: list[bytes] = []
    errors: list[str] = []
    expected = 0
    wanted = plan.expect.encode()

    async def station(queue: list[Request]) -> None:
        nonlocal expected
        connections = Connections(plan.host, plan.port, plan.local_address)
        for request in queue:
            sent = loop.time()
            try:
                answer = await connections.send(request)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                if wanted and wanted in answer.body:
                    expected += 1
                elif len(bodies) < 5:
                    bodies.append(answer.body[:2000])
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors.append(type(exc).__name__)
            latencies.append((loop.time() - sent) * 1000)
        connections.close()

    cpu_before, own_before = cpu_seconds(plan.server_pid), _own_cpu()
    started = loop.time()
    await asyncio.gather(*(station(queue) for queue in plan.requests))
    wall = loop.time() - started
    return {
        "requests": len(latencies),
        "seconds": wall,
        "latencies_ms": latencies,
        "statuses": statuses,
        "errors": errors,
        "expected": expected,
        "unexpected_bodies": [b.decode("utf-8", "replace") for b in bodies],
        "server_cpu_s": cpu_seconds(plan.server_pid) - cpu_before,
        "generator_cpu_s": _own_cpu() - own_before,
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(kind: str, plan: Any, pipe: Any) -> None:
    runner = _open_loop if kind == "open" else _closed_loop
    pipe.send(asyncio.run(runner(plan)))
    pipe.close()


def in_own_process(kind: str, plan: OpenLoopPlan | ClosedLoopPlan) -> dict[str, Any]:
    """Run a plan in a fresh process, so the generator never runs inside the server's process
    or the benchmark's own (which holds database connections and imports)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(kind, plan, child))
    process.start()
    child.close()
    result: dict[str, Any] = parent.recv()
    process.join()
    return result


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def summary(name: str, result: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One row of figures from a run (and the machine's load average when it ended: this machine
    is shared, and other work on it shows up in the latencies)."""
    latencies = result["latencies_ms"]
    seconds = result["seconds"] or 1.0
    return {
        "name": name,
        "requests": result["requests"],
        "per_second": round(result["requests"] / seconds, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
        "server_cpu_pct": round(100 * result["server_cpu_s"] / seconds, 1),
        "generator_cpu_pct": round(100 * result["generator_cpu_s"] / seconds, 1),
        "statuses": dict(sorted(result["statuses"].items())),
        "errors": len(result["errors"]),
        "failed": sum(n for status, n in result["statuses"].items() if status >= 400),
        "load": round(os.getloadavg()[0], 1),
        **extra,
    }
