"""The development outbox: every SMS the console sender kept (404 in production)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.messaging.services import recent_outbox


@get("/dev/outbox", name="dev-outbox", include_in_schema=False)
async def outbox(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Template:
    """Recent messages, newest first: how a developer reads the login code."""
    settings = request.app.state.settings
    if settings.app.is_production or settings.login.sms_sender != "console":
        raise NotFoundException()
    messages = await recent_outbox(db_session)
    return Template("messaging/outbox.html", context={"messages": messages})


route_handlers = [outbox]
