"""/healthz says the process is up; /readyz says whether the database answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.app import create_app
from portal.settings import AppSettings, DatabaseSettings, RedisSettings, Settings
from tests.support.client import PortalClient


def test_healthz_answers_ok(client: PortalClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ok_when_the_database_answers(client: PortalClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_probes_leave_no_session_behind(client: PortalClient) -> None:
    for path in ["/healthz", "/readyz"]:
        cookies = client.get(path).headers.get_list("set-cookie")
        assert not any(c.startswith("ymt_session=") for c in cookies), path


def _unreachable(kind: str, tmp_path: Path) -> str:
    if kind == "postgres-port":
        return "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
    directory = tmp_path / "portal.db"  # a directory where the database file should be
    directory.mkdir()
    return f"sqlite+aiosqlite:///{directory}"


@pytest.fixture(params=["postgres-port", "sqlite-directory"])
def broken_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PortalClient]:
    settings = Settings(
        app=AppSettings(environment="test", secret_key="health-tests-secret-0123456789-abcdef"),
        db=DatabaseSettings(url=_unreachable(request.param, tmp_path), pool_size=1),
        redis=RedisSettings(url=None),
    )
    with PortalClient(app=create_app(settings)) as client:
        yield client


def test_readyz_is_503_when_the_database_is_unreachable(broken_client: PortalClient) -> None:
    response = broken_client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}
    assert "Traceback" not in response.text


def test_healthz_stays_ok_when_the_database_is_unreachable(broken_client: PortalClient) -> None:
    assert broken_client.get("/healthz").status_code == 200


def test_a_page_that_needs_the_database_fails_kindly_when_it_is_down(
    broken_client: PortalClient,
) -> None:
    broken_client.cookies.set("ymt_lang", "en")
    assert broken_client.get("/").status_code == 200  # a visitor's home needs no database
    response = broken_client.submit("/login/code", {"phone": "13700000001"})
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in response.text
    assert "Traceback" not in response.text
    assert "asyncpg" not in response.text and "sqlite" not in response.text.lower()
