"""Apps built with other settings than the default test app: production, small limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from portal.app import create_app
from portal.core.clock import FrozenClock
from portal.settings import AppSettings, DatabaseSettings, LoginSettings, RedisSettings, Settings
from tests.support.client import PortalClient

SECRET = "web-tests-secret-key-that-is-long-enough-0123456789"
ClientFactory = Callable[..., PortalClient]


class CapturingSender:
    """An SMS gateway stand-in for production apps, which have no outbox page."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, phone: str, body: str) -> None:
        self.sent.append((phone, body))

    def latest_code(self, phone: str) -> str:
        body = next(body for to, body in reversed(self.sent) if to == phone)
        match = re.search(r"\b(\d{6})\b", body)
        assert match, body
        return match.group(1)


PRODUCTION_ENVIRONMENT: dict[str, str] = {
    # Everything else production insists on, so only the setting under test decides.
}


@pytest.fixture
def app_client(
    database_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ClientFactory]:
    """Build clients for apps with the environment and login settings a test chooses."""
    with ExitStack() as stack:

        def build(
            *,
            environment: str = "test",
            base_url: str = "http://testserver.local",
            redis_url: str | None = None,
            **login: Any,
        ) -> PortalClient:
            if environment == "production":
                for name, value in PRODUCTION_ENVIRONMENT.items():
                    monkeypatch.setenv(name, value)
                # Production sends through a gateway (replaced below by a capturing stand-in).
                login = {
                    "sms_sender": "http",
                    "sms_gateway_url": "https://sms.invalid/send",
                    "sms_gateway_token": "web-tests-gateway-token",
                    **login,
                }
            settings = Settings(
                app=AppSettings(environment=environment, secret_key=SECRET),
                db=DatabaseSettings(url=database_url, echo=False, pool_size=5),
                redis=RedisSettings(url=redis_url),
                login=LoginSettings(**login),
            )
            app = create_app(settings, clock=clock)
            if environment == "production":
                app.state.sms_sender = CapturingSender()
            return stack.enter_context(PortalClient(app=app, base_url=base_url))

        yield build
