"""Which gateway the app pays through, built once per process from the settings.

``sandbox`` (development): the account the sandbox made, reached in-process — the sandbox is
served by this app, so its requests go through the app's own ASGI handler, signed and checked
like any other. ``wechatpay``: the merchant account in PORTAL_WECHATPAY_*, over HTTPS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx

from portal.payments.gateway import Gateway, MerchantConfig, WeChatPay
from portal.payments.wechatpay import load_private_key, load_public_key
from portal.paysandbox.services import keys_of
from portal.settings import PaymentSettings

GATEWAY = "pay_gateway"
SANDBOX_NOTIFY_URL = "http://127.0.0.1/api/v1/payments/notify/wechatpay"
SANDBOX_BASE_URL = "http://127.0.0.1/dev/pay"


def merchant_from_files(settings: PaymentSettings) -> MerchantConfig:
    """A real merchant account: keys and serials from the files and values the settings name
    (``PaymentSettings.check`` refused an incomplete account at start-up)."""
    return MerchantConfig(
        mchid=settings.mchid,
        appid=settings.appid,
        serial=settings.merchant_serial,
        private_key=load_private_key(Path(settings.merchant_key_file).read_bytes()),
        platform_keys={
            settings.platform_serial: load_public_key(Path(settings.platform_key_file).read_bytes())
        },
        api_v3_key=settings.api_v3_key.encode(),
        notify_url=settings.notify_url,
        base_url=settings.wechatpay_url,
    )


async def gateway_of(app: Any) -> Gateway:
    """The process's gateway (tests may put another in ``app.state.pay_gateway``)."""
    state = app.state
    if GATEWAY in state:
        return cast(Gateway, state[GATEWAY])
    settings: PaymentSettings = state.settings.payments
    if settings.is_sandbox:
        merchant = await keys_of(state).merchant(state.db_sessions)
        config = MerchantConfig(
            mchid=merchant.mchid,
            appid=merchant.appid,
            serial=merchant.serial,
            private_key=merchant.private_key,
            platform_keys={merchant.platform_serial: merchant.platform_key},
            api_v3_key=merchant.api_v3_key,
            notify_url=SANDBOX_NOTIFY_URL,
            base_url=SANDBOX_BASE_URL,
        )
        gateway: Gateway = WeChatPay(config, transport=httpx.ASGITransport(app=app))
    else:
        gateway = WeChatPay(merchant_from_files(settings))
    state[GATEWAY] = gateway
    return gateway
