"""Where to go after a form: named routes of this site, and only paths on this site (no open
redirects) when the target comes from the visitor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, urlencode, urlsplit

from litestar.connection import ASGIConnection
from litestar.response import Redirect

UNREADABLE = SplitResult("", "", "", "", "")


def safe_next(target: str | None, default: str = "/") -> str:
    """Accept a local absolute path like ``/patients``; anything else goes to ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):  # tabs, newlines: never in a path
        return default
    return target


def split_url(text: str) -> SplitResult:
    """``urlsplit`` for addresses a browser sent us (Referer, HX-Current-URL): one it cannot
    read (``http://[``, an invalid IPv6 host) is empty, like an absent one, never an error."""
    try:
        return urlsplit(text)
    except ValueError:
        return UNREADABLE


def route_path(
    connection: ASGIConnection[Any, Any, Any, Any],
    route: str,
    query: Mapping[str, object] | None = None,
    **path_params: Any,
) -> str:
    """The path of a named route (``url_for`` in templates), with a query when given."""
    path = connection.app.route_reverse(route, **path_params)
    wanted = {key: str(value) for key, value in (query or {}).items() if value is not None}
    return f"{path}?{urlencode(wanted)}" if wanted else path


def redirect_to(
    connection: ASGIConnection[Any, Any, Any, Any],
    route: str,
    query: Mapping[str, object] | None = None,
    **path_params: Any,
) -> Redirect:
    """See other: a named route, after a form was handled (or instead of a page not shown)."""
    return Redirect(route_path(connection, route, query, **path_params), status_code=303)
