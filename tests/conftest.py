"""Fixtures every test may use: a frozen clock, a database (SQLite, and PostgreSQL when
PORTAL_TEST_POSTGRES_URL is set), settings, the app and a client that speaks CSRF."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings as hypothesis_settings

from portal.app import create_app
from portal.core.clock import FrozenClock
from portal.settings import (
    AppSettings,
    BookingSettings,
    DatabaseSettings,
    LoginSettings,
    PaymentSettings,
    RedisSettings,
    Settings,
)
from tests.support import aio
from tests.support.client import PortalClient
from tests.support.databases import (
    create_schema,
    empty_tables,
    postgres_base_url,
    scratch_postgres,
    sqlite_url,
    worker_database_url,
)

os.environ.setdefault("PORTAL_ENV", "test")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def clock() -> FrozenClock:
    """Tuesday 24 November 2026, 09:00 in Shanghai, until a test moves it."""
    return FrozenClock(SHANGHAI, datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture(scope="session")
def postgres_worker_url(worker_id: str) -> str | None:
    base = postgres_base_url()
    if base is None:
        return None
    # Each checkout (worktree) gets databases of its own on a shared PostgreSQL server.
    checkout = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:6]
    url = worker_database_url(base, worker_id, suffix=f"_{checkout}")
    aio.run(create_schema(url))
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with every table, made once per worker and copied for each test."""
    directory = tmp_path_factory.mktemp("template")
    aio.run(create_schema(sqlite_url(directory)))
    return directory / "portal.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres_worker_url: str | None,
) -> str:
    """Each test that uses the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        directory = tmp_path_factory.mktemp("db")
        shutil.copyfile(sqlite_template, directory / "portal.db")
        return sqlite_url(directory)
    if postgres_worker_url is None:
        pytest.skip("PostgreSQL: PORTAL_TEST_POSTGRES_URL is not set")
    aio.run(empty_tables(postgres_worker_url))
    return postgres_worker_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database no migration has touched: a new SQLite file, or a new PostgreSQL
    database with a unique name that is dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip("PostgreSQL: PORTAL_TEST_POSTGRES_URL is not set")
    with scratch_postgres(base, "ymt_fresh") as url:
        yield url


def make_settings(
    database_url: str, booking: BookingSettings | None = None, **overrides: object
) -> Settings:
    return Settings(
        app=AppSettings(environment="test", secret_key=TEST_SECRET),
        db=DatabaseSettings(url=database_url, echo=False, pool_size=5),
        redis=RedisSettings(url=None),
        login=LoginSettings(**overrides),  # type: ignore[arg-type]
        # Background housekeeping off: tests run it themselves at the moments they choose.
        booking=booking or BookingSettings(housekeeping_seconds=0),
        # The payment sandbox's postman and the payments follow-up off too.
        payments=PaymentSettings(task_seconds=0, sandbox_tick_seconds=0),
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def client(settings: Settings, clock: FrozenClock) -> Iterator[PortalClient]:
    app = create_app(settings, clock=clock)
    with PortalClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist's worker name ("gw0") or "main" without xdist."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


# Property tests check behaviour, not speed: on a shared, busy machine a per-example deadline
# only produces flaky failures (speed is measured by `make bench`).
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")


class StillClock:
    """Holds the rate limiter's clock still, so a test never straddles two windows."""

    def __init__(self) -> None:
        self.at = 300 * 3600 + 1220.0  # 20 s into a minute

    def monotonic(self) -> float:
        return self.at

    def time(self) -> float:
        return self.at


@pytest.fixture
def limiter_clock(monkeypatch: pytest.MonkeyPatch) -> StillClock:
    from portal.web import ratelimit

    still = StillClock()
    monkeypatch.setattr(ratelimit, "time", still)
    return still
