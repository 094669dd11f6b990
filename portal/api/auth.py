"""Bearer-token authentication for /api/v1: the guards, and the caller they let in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from portal.api.services import ApiCaller, active_client
from portal.web.api import ApiProblem, FieldError, bearer_token, not_authenticated
from portal.web.dependencies import db_sessions_of

CALLER = "api_caller"

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


async def requires_api_client(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: the bearer token is an active client's (checked before the body is even read).
    The handler finds the client with ``api_caller(request)``."""
    token = bearer_token(connection)
    if token is None:
        raise not_authenticated("send the client's token as: Bearer <token>", "api")
    async with db_sessions_of(connection)() as session:
        caller = await active_client(session, token)
    if caller is None:
        raise not_authenticated("this token is not the token of an active API client", "api")
    connection.state[CALLER] = caller


def requires_scope(scope: str) -> Guard:
    """Guard: an active client that holds ``scope`` (401 without a valid token, 403 with one
    that may not do this), checked before the body is read."""

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        await requires_api_client(connection, handler)
        if not api_caller(connection).allows(scope):
            raise ApiProblem(
                403,
                [
                    FieldError(
                        field="Authorization",
                        problem=f"this client does not hold the scope {scope}, which this needs",
                    )
                ],
            )

    guard.__name__ = f"requires_scope_{scope.replace(':', '_')}"
    return guard


def api_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiCaller:
    """The client ``requires_api_client`` let in (only on routes behind that guard)."""
    return cast(ApiCaller, connection.state[CALLER])
