"""The CSRF check, kept from answering 500 on tokens of the wrong shape.

Litestar's CSRF middleware takes the token from the ``x-csrftoken`` header, else from the form's
``_csrf_token`` field, and compares it and the cookie with ``hmac.compare_digest``. That raises
TypeError on text that is not ASCII, and a multipart form can send the field as a file, which the
middleware then measures as text. Either was a 500 for any page a form posts to. This middleware
runs just before Litestar's and refuses such a request exactly as a wrong token is refused (403,
with the page's "open for too long" advice): a token we issue is always short ASCII text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware

from portal.web.errors import CSRF_FAILURE

if TYPE_CHECKING:
    from litestar.config.csrf import CSRFConfig
    from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

FORM_FIELD = "_csrf_token"
"""Where Litestar's middleware looks for the token in a form."""


def _usable(token: Any) -> bool:
    """Absent (the check then fails as usual) or ASCII text (the check can compare it)."""
    return token is None or (isinstance(token, str) and token.isascii())


class CsrfShapeMiddleware(ASGIMiddleware):
    """Refuse unsafe requests whose CSRF header, cookie or form field is not ASCII text."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, config: CSRFConfig) -> None:
        self.config = config
        exclude = config.exclude
        # Matched against the request's path, as Litestar's CSRF middleware does (an unknown
        # /api/ path reaches the catch-all page route, whose own path matches nothing).
        patterns = [
            re.compile(p) for p in ([exclude] if isinstance(exclude, str) else exclude or [])
        ]
        self.should_bypass_for_scope = lambda scope: any(p.search(scope["path"]) for p in patterns)
        self.exclude_opt_key = config.exclude_from_csrf_key

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if cast("HTTPScope", scope)["method"] not in self.config.safe_methods:  # HTTP only
            request = scope["litestar_app"].request_class(scope=scope, receive=receive)
            header = request.headers.get(self.config.header_name)
            usable = _usable(header) and _usable(request.cookies.get(self.config.cookie_name))
            content_type, _ = request.content_type
            if usable and not header and content_type in _FORMS:
                # Parsed once: Litestar's middleware and the handler read the same form again.
                usable = _usable((await request.form()).get(FORM_FIELD))
            if not usable:
                raise PermissionDeniedException(CSRF_FAILURE)
        await next_app(scope, receive, send)


_FORMS = frozenset({RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART})
