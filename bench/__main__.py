"""`make bench`: every benchmark, printed as markdown (copy the figures into docs/benchmarks.md).

Sections run one after another; each measures against a baseline in the same run.
Run one section with ``python -m bench ecard`` (names: see SECTIONS).
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time

SECTIONS = {
    "pages": ("Pages against bare Litestar + Jinja", "bench.pages"),
    "servers": ("uvicorn against granian", "bench.servers"),
    "db-floor": ("What one database question costs", "bench.db_floor"),
    "ecard": ("E-card codes (render and verify)", "bench.ecard_bench"),
    "ecard-http": ("E-card code requests", "bench.ecard_http"),
    "booking": ("Booking: the release surge", "bench.booking_surge"),
    "booking-answers": ("Booking: what each answer of the surge costs", "bench.booking_answers"),
    "queue-phones": ("Queue status: 3,000 phones polling", "bench.queue_phones"),
    "queue-scans": ("Scans per second at the triage desk", "bench.queue_scans"),
    "payments": ("Payments: notifications and the pay page", "bench.payments"),
}


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.platform()}, Python {platform.python_version()}, {cpus} CPUs"


def main(names: list[str]) -> None:
    chosen = names or list(SECTIONS)
    print(f"# Yimatong benchmarks\n\n{time.strftime('%Y-%m-%d %H:%M %Z')} on {machine()}\n")
    for name in chosen:
        title, module_name = SECTIONS[name]
        module = importlib.import_module(module_name)
        started = time.perf_counter()
        rows = module.run()
        print(
            f"## {title}\n\n{module.markdown(rows)}\n\n({time.perf_counter() - started:.0f} s)\n",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
