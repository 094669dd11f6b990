"""Security headers on every response, and the Content-Security-Policy (no inline script).

Applied as a ``before_send`` hook of the application, so they also reach answers that no route
produced (an unknown path's 404, a 405, a refused CSRF token)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.datastructures import MutableScopeHeaders

if TYPE_CHECKING:
    from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers_hook(production: bool) -> Any:
    """A before-send hook adding the same protective headers to every HTTP response."""
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=()",
    }
    if production:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            response_headers = MutableScopeHeaders.from_message(message)
            for name, value in headers.items():
                if name not in response_headers:
                    response_headers[name] = value
            # Pages for someone logged in (names, ID numbers, cards) never stay in a shared
            # computer's cache; answers that set their own caching (ETag polling) keep it.
            session = scope.get("session")
            if isinstance(session, dict) and session and "cache-control" not in response_headers:
                response_headers["cache-control"] = "no-store"

    return add_headers
