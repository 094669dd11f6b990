"""How the queue service reaches handlers."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.queue.services import QueueService


async def provide_queue_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> QueueService:
    state = request.app.state
    return QueueService(db_session, state.settings.queue, state.clock, state.get("channels"))
