"""Where a page's time goes: py-spy samples one server process while `wrk` asks for the page.

    .venv/bin/python -m bench.profile / --logged-in [--seconds 10] [--raw out.txt]

Starts our server on the demo data (SQLite, one process), logs the demo patient in when asked
(elder mode, as `bench pages` does), drives the page with `wrk -t1 -c16` and prints the frames
that cost the most: by their own time (self) and with what they call (total), as a share of
all samples. The collapsed stacks (`--raw`) open in any flame-graph viewer.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import httpx

from bench import wrk
from bench.pages import LIFTED, _logged_in
from harness.server import LiveServer, prepare_database

# Frames that only wrap others (the event loop, Python's own machinery) say nothing of cost.
_PLUMBING = ("asyncio/", "<frozen ", "uvicorn/protocols", "threading.py")
# aiosqlite's connection threads: without C frames a thread waiting for its next statement and
# one running it in SQLite look the same, and with them (--native) 84 % of such samples were the
# wait (queue.get). Left out unless asked for; the statements a page sends are counted in the
# query-budget tests instead.
_DB_THREAD = "aiosqlite/core.py:_connection_worker_thread"


def _frame_name(frame: str) -> str:
    """``handler (portal/web/shell.py:42)`` → ``portal/web/shell.py:handler``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/", "/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{name}"


def summarise(raw: str, top: int = 30, *, db_threads: bool = False) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith(("thread ", "<module>"))]
        if not frames or (not db_threads and _DB_THREAD in frames):
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            if not any(p in frame for p in _PLUMBING):
                total[frame] += count
    if not samples:
        return "no samples"
    lines = [f"{samples} samples", "", "self %  frame"]
    lines += [f"{100 * n / samples:6.1f}  {name}" for name, n in own.most_common(top)]
    lines += ["", "total %  frame"]
    lines += [f"{100 * n / samples:6.1f}  {name}" for name, n in total.most_common(top)]
    return "\n".join(lines)


def profile(
    path: str,
    *,
    logged_in: bool,
    seconds: int,
    raw_path: Path | None,
    native: bool = False,
    unchanged: bool = False,
    db_threads: bool = False,
) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'portal.db'}"
        prepare_database(url)
        with LiveServer(url, extra_env=LIFTED, log_path=Path(tmp) / "server.log") as server:
            headers: dict[str, str] = {}
            if logged_in:
                cookie, known = asyncio.run(_logged_in(server.url))
                headers["Cookie"] = cookie
                path = known.get(path, path)  # "session": the demo's booking session page
            if unchanged:  # ask as a phone that has the answer already (ETag, htmx)
                headers["HX-Request"] = "true"
                first = httpx.get(server.url + path, headers=headers)
                headers["If-None-Match"] = first.headers["etag"]
            assert server.process is not None
            out = Path(tmp) / "profile.txt"
            load = threading.Thread(
                target=wrk.run,
                args=(server.url + path,),
                kwargs={"headers": headers, "seconds": seconds + 2},
            )
            load.start()
            subprocess.run(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(server.process.pid),
                    "--duration",
                    str(seconds),
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    # Native frames need the process paused while its stack is read.
                    *(["--native"] if native else ["--nonblocking"]),
                    "--output",
                    str(out),
                ],
                check=True,
                capture_output=True,
            )
            load.join()
            raw = out.read_text()
            if raw_path:
                raw_path.write_text(raw)
            return summarise(raw, db_threads=db_threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the page to drive, or with --summarise a raw profile")
    parser.add_argument("--summarise", action="store_true", help="only read a raw profile")
    parser.add_argument("--logged-in", action="store_true")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--raw", type=Path)
    parser.add_argument("--native", action="store_true", help="C frames too (SQLite, brotli)")
    parser.add_argument("--unchanged", action="store_true", help="send the page's ETag (a 304)")
    parser.add_argument(
        "--db-threads", action="store_true", help="keep aiosqlite's threads (mostly waiting)"
    )
    arguments = parser.parse_args()
    if arguments.summarise:
        print(summarise(Path(arguments.path).read_text(), db_threads=arguments.db_threads))
        return
    print(
        profile(
            arguments.path,
            logged_in=arguments.logged_in,
            seconds=arguments.seconds,
            raw_path=arguments.raw,
            native=arguments.native,
            unchanged=arguments.unchanged,
            db_threads=arguments.db_threads,
        )
    )


if __name__ == "__main__":
    main()
