"""A real server in a child process (uvicorn), for browser tests and real concurrency.

``LiveServer`` migrates a database, optionally seeds it, starts ``python -m portal serve`` on a
free port and waits until /readyz answers. Several can run at once (several app processes on
one PostgreSQL database with Redis between them).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_SECRET = "live-server-test-secret-0123456789-abcdefghij"
IMPORT_TOKEN = "ymt_harness_his_token_0123456789"
"""The token of "Harness HIS", the client ``prepare_database`` registers with the imports'
scopes: the live servers' hospital system."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "PORTAL_SECRET_KEY": SERVER_SECRET,
        "PORTAL_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("PORTAL_REDIS_URL", None)
    if redis_url:
        env["PORTAL_REDIS_URL"] = redis_url
    return env


def _portal(database_url: str, *command: str, **extra: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "portal", *command],
        cwd=ROOT,
        env=server_env(database_url, **extra),
        check=True,
        capture_output=True,
    )


def register_client(database_url: str, name: str, token: str, scopes: list[str]) -> None:
    """Register an API client with a chosen token, as ``create-api-client`` does."""
    options = [part for scope in scopes for part in ("--scope", scope)]
    _portal(database_url, "create-api-client", name, *options, "--token", token)


def prepare_database(database_url: str, *, seed: bool = True, **extra: str) -> None:
    """Apply migrations (and the demo seed) the way ``make run`` does, and register the
    harness's hospital system ("Harness HIS", ``IMPORT_TOKEN``)."""
    _portal(database_url, "migrate", **extra)
    if seed:
        _portal(database_url, "seed", **extra)
    register_client(
        database_url, "Harness HIS", IMPORT_TOKEN, ["timetable:write", "bills:write", "fhir:write"]
    )


@dataclass
class LiveServer:
    database_url: str
    redis_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveServer:
        env = server_env(self.database_url, self.redis_url, **self.extra_env)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "portal",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become ready in {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
