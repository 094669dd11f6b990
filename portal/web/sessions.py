"""Server-side sessions whose id changes at login and logout (no session fixation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)

ROTATE_KEY = "portal_rotate_session"


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Ask for a new session id when this response is sent; the old one is deleted."""
    connection.scope[ROTATE_KEY] = True  # type: ignore[literal-required]


class RotatingSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        if not connection.scope.get(ROTATE_KEY):
            return super().get_session_id(connection)
        session_id = connection.get_session_id()
        if not session_id or session_id == connection.cookies.get(self.config.key):
            session_id = self.generate_session_id()
            connection._connection_state.session_id = session_id  # the id this response will set
        return session_id

    async def store_in_message(
        self, scope_session: Any, message: Any, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        old = connection.cookies.get(self.config.key)
        if (
            not scope_session
            and (not old or old == "null")
            and not connection.scope.get(ROTATE_KEY)
        ):
            return  # an anonymous visitor with nothing to keep: no cookie, nothing stored
        if connection.scope.get(ROTATE_KEY) and old and old != "null":
            await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
