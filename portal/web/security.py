"""Security headers on every response, and the Content-Security-Policy (no inline script).

Applied as a ``before_send`` hook of the application, so they also reach answers that no route
produced (an unknown path's 404, a 405, a refused CSRF token)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"


def static_cache_control(query_string: bytes) -> str:
    """A static file asked for by its content fingerprint (``?v=…``, see ``static_url``) never
    changes under that address: a phone keeps it for a year without asking again. Asked for
    without one, it may change: the phone asks each time (a 304 when it has not)."""
    return IMMUTABLE if b"v=" in query_string else REVALIDATE


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
    # Encoded once: this runs on every response, so it appends raw header pairs rather than
    # going through a header mapping (a response of ours sets none of these itself).
    encoded = [(name.encode(), value.encode()) for name, value in headers.items()]
    no_store = (b"cache-control", b"no-store")

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        raw = message.setdefault("headers", [])
        if not isinstance(raw, list):
            raw = message["headers"] = list(raw)
        present = {name.lower() for name, _ in raw}
        raw.extend(pair for pair in encoded if pair[0] not in present)
        # Pages for someone logged in (names, ID numbers, cards) never stay in a shared
        # computer's cache; answers that set their own caching (ETag polling, static files)
        # keep it.
        if b"cache-control" not in present:
            session = scope.get("session")
            if isinstance(session, dict) and session:
                raw.append(no_store)

    return add_headers
