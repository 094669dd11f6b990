"""The SMS sender interface and the development sender."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.messaging.models import OutboxMessage

logger = logging.getLogger("portal.sms")


class SmsSender(Protocol):
    """Sends one text message. A real gateway implements this; failures raise."""

    async def send(self, session: AsyncSession, phone: str, body: str) -> None: ...


class ConsoleSmsSender:
    """Development sender: logs the message and keeps it in the outbox (``/dev/outbox``)."""

    async def send(self, session: AsyncSession, phone: str, body: str) -> None:
        logger.info("SMS to %s: %s", phone, body)
        session.add(OutboxMessage(phone=phone, body=body))
        await session.flush()


def build_sender(name: str) -> SmsSender:
    """The sender a setting names; only the console sender ships."""
    if name == "console":
        return ConsoleSmsSender()
    raise ValueError(f"unknown SMS sender {name!r}")


async def recent_outbox(session: AsyncSession, limit: int = 50) -> list[OutboxMessage]:
    result = await session.execute(
        select(OutboxMessage)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(result.scalars())
