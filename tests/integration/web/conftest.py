"""Apps built with other settings than the default test app: production, small limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from portal.app import create_app
from portal.core.clock import FrozenClock
from portal.payments.wechatpay import private_pem, public_pem
from portal.settings import (
    WECHATPAY,
    AppSettings,
    DatabaseSettings,
    LoginSettings,
    PaymentSettings,
    RedisSettings,
    Settings,
)
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


def merchant_account(directory: Path) -> PaymentSettings:
    """A merchant account as production needs one (its keys in files; never reached here)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (directory / "merchant.pem").write_bytes(private_pem(key))
    (directory / "platform.pem").write_bytes(public_pem(key.public_key()))
    return PaymentSettings(
        gateway=WECHATPAY,
        mchid="1900000109",
        appid="wxd678efh567hg6787",
        merchant_serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        merchant_key_file=str(directory / "merchant.pem"),
        platform_serial="PUB_KEY_ID_0114232134912410000000000000",
        platform_key_file=str(directory / "platform.pem"),
        api_v3_key="0123456789abcdef0123456789abcdef",
        notify_url="https://portal.hospital.invalid/api/v1/payments/notify/wechatpay",
        task_seconds=0,
    )


@pytest.fixture
def app_client(
    database_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
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
                payments=merchant_account(tmp_path)
                if environment == "production"
                else PaymentSettings(task_seconds=0, sandbox_tick_seconds=0),
            )
            app = create_app(settings, clock=clock)
            if environment == "production":
                app.state.sms_sender = CapturingSender()
            return stack.enter_context(PortalClient(app=app, base_url=base_url))

        yield build
