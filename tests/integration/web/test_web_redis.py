"""Several app processes behind a proxy share sessions and rate limits through Redis."""

from __future__ import annotations

import uuid

import pytest

from portal.web import ratelimit
from tests.integration.web.conftest import ClientFactory
from tests.support.databases import redis_url

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(redis_url() is None, reason="Redis: PORTAL_TEST_REDIS_URL is not set"),
]
PHONE = "13700000001"


class OwnWindow:
    """A clock far from everyone else's, so this test's rate-limit keys are its own."""

    def __init__(self) -> None:
        self.at = float(uuid.uuid4().int % 10**9) * 7200 + 100

    def monotonic(self) -> float:
        return self.at

    def time(self) -> float:
        return self.at


@pytest.fixture(autouse=True)
def own_window(monkeypatch: pytest.MonkeyPatch) -> OwnWindow:
    window = OwnWindow()
    monkeypatch.setattr(ratelimit, "time", window)
    return window


def test_a_session_started_on_one_process_is_known_to_another(
    app_client: ClientFactory,
) -> None:
    first = app_client(redis_url=redis_url())
    second = app_client(redis_url=redis_url())
    first.log_in(PHONE)
    second.cookies = first.cookies
    response = second.get("/patients/new", follow_redirects=False)
    assert response.status_code == 200
    second.submit("/logout")
    first.cookies = second.cookies
    assert first.get("/patients", follow_redirects=False).status_code == 303


def test_code_request_limits_count_across_every_process(app_client: ClientFactory) -> None:
    first = app_client(redis_url=redis_url(), requests_per_address_per_hour=2)
    second = app_client(redis_url=redis_url(), requests_per_address_per_hour=2)
    second.cookies = first.cookies
    for client in (first, second):
        client.cookies.set("ymt_lang", "en")
    assert first.submit("/login/code", {"phone": "13700000001"}).status_code == 303
    assert second.submit("/login/code", {"phone": "13700000002"}).status_code == 303
    refused = first.submit("/login/code", {"phone": "13700000003"})
    assert refused.status_code == 400
    assert "Too many codes were asked for from this network" in refused.text
