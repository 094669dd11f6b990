"""Friendly error pages in both modes and languages; JSON for the API; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_token
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from portal.web.i18n import gettext as _
from portal.web.i18n import set_locale
from portal.web.redirects import safe_next
from portal.web.shell import shell_of

logger = logging.getLogger("portal.errors")
CSRF_FAILURE = "CSRF token verification failed"


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _explain(status: int, detail: str) -> tuple[str, str]:
    """A title and a next step for each kind of failure, in plain words."""
    if detail == CSRF_FAILURE:
        return (
            _("This page was open for too long"),
            _(
                "For your safety the form could not be sent. Please go back, reload the page and try again."
            ),
        )
    return {
        400: (
            _("Something in the form was not right"),
            _("Please go back, check what you typed and try again."),
        ),
        403: (_("This page is not available to you"), _("Please go back to the home page.")),
        404: (
            _("We could not find this page"),
            _("The link may be old or mistyped. Please go back to the home page."),
        ),
        405: (_("This action is not possible here"), _("Please go back to the home page.")),
        429: (_("Too many tries in a short time"), _("Please wait a minute and try again.")),
    }.get(
        status,
        (
            _("Sorry, something went wrong on our side"),
            _(
                "Please try again in a moment. If it keeps happening, ask the staff at the service desk."
            ),
        ),
    )


CSRF_COOKIE = "ymt_csrf"


def _csrf_cookie_for_error_page(request: Request[Any, Any, Any]) -> list[Cookie]:
    """Error pages answered outside the CSRF middleware (an unknown path, a 405, a refused token)
    still get a working token, so the header's forms (elder mode, language) work from them."""
    state = ScopeState.from_scope(request.scope)
    if value_or_default(state.csrf_token, ""):
        return []
    existing = request.cookies.get(CSRF_COOKIE)
    state.csrf_token = existing or generate_csrf_token(request.app.state.settings.app.secret_key)
    if existing:
        return []
    secure = request.app.state.settings.app.is_production
    return [
        Cookie(key=CSRF_COOKIE, value=state.csrf_token, path="/", samesite="lax", secure=secure)
    ]


def _error_page(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    set_locale(shell_of(request).locale)
    title, advice = _explain(status, detail)
    if _wants_json(request):
        return Response(
            {"status": status, "title": title, "detail": advice},
            status_code=status,
            media_type=MediaType.JSON,
        )
    headers = (
        {"HX-Retarget": "body", "HX-Reswap": "innerHTML"}
        if request.headers.get("hx-request")
        else {}
    )
    return Template(
        "errors/error.html",
        cookies=_csrf_cookie_for_error_page(request),
        context={"status": status, "title": title, "advice": advice},
        status_code=status,
        headers=headers,
    )


def _api_error(exc: HTTPException) -> Response[Any]:
    """JSON for machines: the status, what went wrong, and validation details when there are any."""
    body: dict[str, Any] = {"status": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body["errors"] = exc.extra
    return Response(
        body, status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers or {}
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if _wants_json(request) and exc.status_code < 500:
        return _api_error(exc)
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        login = "/staff/login" if request.url.path.startswith("/staff") else "/login"
        # An htmx request (a polled fragment) comes back to the page it was on, not the fragment.
        here = (
            urlsplit(request.headers.get("hx-current-url", "")).path
            if request.headers.get("hx-request")
            else ""
        )
        target = f"{login}?next=" + quote(safe_next(here or request.url.path))
        if request.headers.get("hx-request"):
            return Response(b"", status_code=204, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)
    detail = (
        exc.detail if isinstance(exc, PermissionDeniedException) or _wants_json(request) else ""
    )
    return _error_page(request, exc.status_code, detail)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, "")
    except Exception:  # the error page itself failed: still no stack trace for the user
        logger.exception("error page failed")
        return Response(
            _("Sorry, something went wrong on our side"), status_code=500, media_type=MediaType.TEXT
        )


exception_handlers: dict[Any, Any] = {
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
