"""The development outbox: every SMS the console sender kept (404 in production)."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.errors import NotFound
from portal.messaging.services import recent_outbox
from portal.settings import Settings


@get("/dev/outbox", name="dev-outbox", include_in_schema=False)
async def outbox(
    db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> Template:
    """Recent messages, newest first: how a developer reads the login code."""
    if settings.app.is_production or settings.login.sms_sender != "console":
        raise NotFound()
    messages = await recent_outbox(db_session)
    return Template("messaging/outbox.html", context={"messages": messages})


route_handlers = [outbox]
