"""Servers to race against, for the tests: skipped when the database or Redis a kind needs is
not configured."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.crowd import SERVER_ENV, fresh_postgres
from harness.server import LiveServer, prepare_database
from tests.support import aio
from tests.support.databases import postgres_base_url, redis_url

KINDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("postgres-2-processes", marks=[pytest.mark.postgres, pytest.mark.redis]),
]
"""The ``params`` of a module's live fixture: one process on each database, and two processes
on PostgreSQL with Redis between them."""


def database_for(kind: str, tmp_path: Path, name: str) -> str:
    """An empty database for a live server: a SQLite file in ``tmp_path``, or a PostgreSQL
    database made afresh (skipped when PostgreSQL is not configured). ``name`` keeps the
    databases of different test modules, workers and checkouts apart."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"
    base = postgres_base_url()
    if base is None:
        pytest.skip("PostgreSQL: PORTAL_TEST_POSTGRES_URL is not set")
    checkout = hashlib.sha1(str(Path(__file__).resolve()).encode()).hexdigest()[:6]
    return aio.run(fresh_postgres(base, f"ymt_{name}_{checkout}"))


@dataclass
class Live:
    """One or more server processes on one database (and Redis between them when several)."""

    servers: list[LiveServer]
    database_url: str

    def url_for(self, n: int) -> str:
        return self.servers[n % len(self.servers)].url


@contextlib.contextmanager
def live_servers(kind: str, tmp_path: Path, name: str) -> Iterator[Live]:
    """A migrated, empty database and ``kind`` of server on it: ``sqlite`` and ``postgres`` one
    process, ``postgres-2-processes`` two processes with Redis between them. Skips when the
    database or Redis the kind needs is not configured. ``name`` keeps PostgreSQL databases of
    different test modules and checkouts apart."""
    redis = None
    if kind.endswith("processes"):
        redis = redis_url()
        if redis is None:
            pytest.skip("Redis: PORTAL_TEST_REDIS_URL is not set")
        # A Redis database of our own: no other test's rate-limit counters.
        redis = redis.rsplit("/", 1)[0] + "/13" if redis.count("/") > 2 else redis + "/13"
    url = database_for(kind, tmp_path, f"live_{name}")
    prepare_database(url, seed=False, **SERVER_ENV)
    count = 2 if kind.endswith("processes") else 1
    servers = [
        LiveServer(url, redis_url=redis, log_path=tmp_path / f"server{n}.log", extra_env=SERVER_ENV)
        for n in range(count)
    ]
    try:
        for server in servers:
            server.start()
        yield Live(servers, url)
    finally:
        for server in servers:
            server.stop()
