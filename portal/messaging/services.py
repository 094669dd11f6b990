"""The SMS sender interface and the development sender."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.core.masking import mask_phone
from portal.db.transactions import begin_write
from portal.messaging.models import OutboxMessage
from portal.settings import LoginSettings

logger = logging.getLogger("portal.sms")


class SmsSender(Protocol):
    """Sends one text message. A real gateway implements this; failures raise.

    Senders are called after the transaction that decided to send has committed (a slow gateway
    must never hold the database's write lock), so they take no database session."""

    async def send(self, phone: str, body: str) -> None: ...


class ConsoleSmsSender:
    """Development sender: logs the message and keeps it in the outbox (``/dev/outbox``), in a
    short write transaction of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def send(self, phone: str, body: str) -> None:
        # Never the body: it carries login codes, and logs travel further than the outbox.
        logger.info(
            "SMS to %s (%d characters) kept in the development outbox", mask_phone(phone), len(body)
        )
        async with self.sessions() as session:
            await begin_write(session)
            session.add(OutboxMessage(phone=phone, body=body))
            await session.commit()


class HttpSmsSender:
    """A hospital's SMS gateway reached over HTTPS: ``POST {"phone": …, "text": …}`` with a bearer
    token. Gateways with another shape plug in as their own class with the same ``send``."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    async def send(self, phone: str, body: str) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(
                self.url,
                json={"phone": phone, "text": body},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        response.raise_for_status()
        logger.info("SMS to %s handed to the gateway", mask_phone(phone))


def build_sender(settings: LoginSettings, sessions: async_sessionmaker[AsyncSession]) -> SmsSender:
    """The sender the settings name: ``console`` (development) or ``http`` (a gateway).
    ``LoginSettings.check`` has refused an incomplete gateway at start-up."""
    if settings.sms_sender == "console":
        return ConsoleSmsSender(sessions)
    if settings.sms_sender == "http":
        return HttpSmsSender(settings.sms_gateway_url, settings.sms_gateway_token)
    raise ValueError(f"unknown SMS sender {settings.sms_sender!r}")


async def recent_outbox(session: AsyncSession, limit: int = 50) -> list[OutboxMessage]:
    result = await session.execute(
        select(OutboxMessage)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(result.scalars())
