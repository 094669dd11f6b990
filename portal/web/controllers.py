"""Liveness and readiness for the load balancer."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response, get, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.exceptions import NotFoundException
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


@route(
    "/{unknown:path}",
    http_method=[
        HttpMethod.GET,
        HttpMethod.HEAD,
        HttpMethod.POST,
        HttpMethod.PUT,
        HttpMethod.PATCH,
        HttpMethod.DELETE,
    ],
    name="unknown-path",
    include_in_schema=False,
)
async def unknown_path() -> None:
    """Any path no feature serves: the friendly 404, rendered inside the usual middleware so it
    still knows the visitor's session, language and mode (a router-level 404 would not)."""
    raise NotFoundException()


route_handlers = [healthz, readyz, unknown_path]
