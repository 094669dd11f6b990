"""The sandbox's postman: every round, refunds in progress succeed, and every notification due
is sealed, signed and POSTed to the merchant's ``notify_url`` (in-process: the sandbox is served
by the app it notifies). A 2xx ends a notification; anything else is tried again on WeChat
Pay's schedule.

Every process may run it: a notification is claimed before it is sent, so each round sends it
once (the chaos control's duplicates are separate notifications on purpose).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
from litestar import Litestar

from portal.payments.wechatpay import encrypt_resource, signed_headers
from portal.paysandbox.services import (
    Platform,
    claim_due,
    complete_refunds,
    keys_of,
    record_attempt,
    rfc3339,
)
from portal.web.periodic import every

logger = logging.getLogger("portal.paysandbox")


def notification_body(platform: Platform, note: Any) -> bytes:
    """The notification as WeChat Pay sends it: the event, and the resource sealed under the
    merchant's API v3 key."""
    return json.dumps(
        {
            "id": note.event_id,
            "create_time": rfc3339(note.created_at),
            "resource_type": "encrypt-resource",
            "event_type": note.event_type,
            "summary": note.summary,
            "resource": encrypt_resource(
                platform.api_v3_key, note.plaintext.encode(), note.original_type
            ),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


async def deliver_due(app: Litestar) -> int:
    """One round; returns how many notifications were answered 2xx."""
    state = app.state
    sessions = state.db_sessions
    platform = await keys_of(state).platform(sessions)
    scale = state.settings.payments.sandbox_retry_scale
    async with sessions() as session:
        await complete_refunds(session, state.clock.now())
        due = await claim_due(session, state.clock.now())
    if not due:
        return 0
    delivered = 0
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", timeout=10
    ) as client:
        for note in due:
            body = notification_body(platform, note)
            headers = signed_headers(platform.platform_key, platform.platform_serial, body)
            headers["Content-Type"] = "application/json"
            url = urlsplit(note.notify_url)
            status: int | None
            try:
                answer = await client.post(
                    url.path + (f"?{url.query}" if url.query else ""), content=body, headers=headers
                )
                status = answer.status_code
            except Exception:  # an exception in the merchant's handler: no answer, try again later
                logger.exception("sandbox notification %s was not answered", note.event_id)
                status = None
            async with sessions() as session:
                await record_attempt(session, note.id, status, state.clock.now(), scale)
            if status is not None and 200 <= status < 300:
                delivered += 1
    return delivered


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Send the sandbox's notifications every PORTAL_PAY_SANDBOX_TICK_SECONDS (development, with
    the sandbox gateway; 0 turns it off)."""
    settings = app.state.settings
    sandbox = settings.payments.is_sandbox and not settings.app.is_production

    async def sandbox_round() -> None:
        await deliver_due(app)

    async with every(
        settings.payments.sandbox_tick_seconds if sandbox else 0,
        sandbox_round,
        name="sandbox-notifications",
        logger=logger,
    ):
        yield
