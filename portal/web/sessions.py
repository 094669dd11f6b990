"""Server-side sessions whose id changes at login and logout (no session fixation), and that are
written back only when they changed.

Litestar's server-side backend stores the session and sends its cookie on every response. Here a
session is stored (and its cookie sent) when its data changed, when its id rotates, or when its
last renewal is more than ``RENEW_SECONDS`` old: the idle expiry still slides with use, a few
minutes at a time, while an unchanged page costs no store write and no Set-Cookie header.
The absolute lifetime of a login is kept apart (``web/shell.py``), so renewing never extends it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)

ROTATE_KEY = "portal_rotate_session"
LOADED_KEY = "portal_session_loaded"
RENEWED = "_renewed"
"""Session key: when the store entry and the cookie were last renewed (Unix seconds)."""
RENEW_SECONDS = 300


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

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        # As Litestar loads it, keeping the stored bytes: whether the handler changed the session
        # is then one encoding of the dict at the end, not a deep copy of it at the start.
        if session_id := connection.cookies.get(self.config.key):
            store = self.config.get_store_from_app(connection.scope["app"])
            raw = await self.get(session_id, store=store)
            if raw is not None:
                connection.scope[LOADED_KEY] = raw  # type: ignore[literal-required]
                return self.deserialize_data(raw)
        return {}

    async def store_in_message(
        self, scope_session: Any, message: Any, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        old = connection.cookies.get(self.config.key)
        rotating = bool(connection.scope.get(ROTATE_KEY))
        # Litestar hands over a sentinel, not a dict, when no session was loaded at all.
        data = scope_session if isinstance(scope_session, dict) else {}
        if not data and (not old or old == "null") and not rotating:
            return  # an anonymous visitor with nothing to keep: no cookie, nothing stored
        now = time.time()
        if (
            not rotating
            and data
            and 0 <= now - float(data.get(RENEWED, 0)) < RENEW_SECONDS
            and self.serialize_data(data, connection.scope) == connection.scope.get(LOADED_KEY)
        ):
            return  # unchanged and renewed a moment ago: the stored entry and cookie stand
        if rotating and old and old != "null":
            await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        if data:
            data[RENEWED] = now
        await super().store_in_message(scope_session, message, connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
