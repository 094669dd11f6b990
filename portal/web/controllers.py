"""Liveness and readiness for the load balancer."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response, get
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@get("/healthz", media_type=MediaType.JSON, include_in_schema=False, opt={"skip_session": True})
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz", media_type=MediaType.JSON, include_in_schema=False, opt={"skip_session": True})
async def readyz(db_session: NamedDependency[AsyncSession]) -> Response[dict[str, Any]]:
    """The process can serve: the database answers."""
    try:
        await db_session.execute(text("SELECT 1"))
    except Exception:
        return Response({"status": "unavailable", "database": "down"}, status_code=503)
    return Response({"status": "ok", "database": "up"})


route_handlers = [healthz, readyz]
