"""Driving `wrk` (a C load generator, so the client is never the bottleneck) and reading its
report: requests per second and latency percentiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    errors: int


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def run(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    seconds: int = 8,
    connections: int = 16,
    threads: int = 1,
) -> WrkResult:
    """``wrk -t1 -c16 -d8s --latency`` against one URL."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    report = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", report)
    p50 = re.search(r"^\s+50%\s+(\S+)", report, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", report, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    if not (rate and p50 and p99):
        raise RuntimeError(f"could not read wrk's report:\n{report}")
    return WrkResult(
        per_second=float(rate[1]),
        p50_ms=_ms(p50[1]),
        p99_ms=_ms(p99[1]),
        non_2xx_3xx=int(bad[1]) if bad else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )
