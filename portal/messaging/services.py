"""The SMS sender interface and the development sender."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.messaging.models import OutboxMessage
from portal.web.masking import mask_phone

logger = logging.getLogger("portal.sms")


class SmsSender(Protocol):
    """Sends one text message. A real gateway implements this; failures raise."""

    async def send(self, session: AsyncSession, phone: str, body: str) -> None: ...


class ConsoleSmsSender:
    """Development sender: logs the message and keeps it in the outbox (``/dev/outbox``)."""

    async def send(self, session: AsyncSession, phone: str, body: str) -> None:
        # Never the body: it carries login codes, and logs travel further than the outbox.
        logger.info(
            "SMS to %s (%d characters) kept in the development outbox", mask_phone(phone), len(body)
        )
        session.add(OutboxMessage(phone=phone, body=body))
        await session.flush()


class HttpSmsSender:
    """A hospital's SMS gateway reached over HTTPS: ``POST {"phone": …, "text": …}`` with a bearer
    token. Gateways with another shape plug in as their own class with the same ``send``."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    async def send(self, session: AsyncSession, phone: str, body: str) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(
                self.url,
                json={"phone": phone, "text": body},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        response.raise_for_status()
        logger.info("SMS to %s handed to the gateway", mask_phone(phone))


def build_sender(name: str, url: str = "", token: str = "") -> SmsSender:
    """The sender a setting names: ``console`` (development) or ``http`` (a gateway)."""
    if name == "console":
        return ConsoleSmsSender()
    if name == "http":
        if not url:
            raise ValueError("PORTAL_SMS_GATEWAY_URL is required for the http SMS sender")
        return HttpSmsSender(url, token)
    raise ValueError(f"unknown SMS sender {name!r}")


async def recent_outbox(session: AsyncSession, limit: int = 50) -> list[OutboxMessage]:
    result = await session.execute(
        select(OutboxMessage)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(result.scalars())
