"""Friendly error pages in both modes and languages; one JSON error shape for the API (``ApiError``,
in English for machines); never a stack trace."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware.csrf import generate_csrf_token
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from portal.core.errors import Conflict, DomainError, NotAllowed, NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.core.i18n import set_locale
from portal.web.api import BODY, TITLES, ApiError, ApiProblem, FieldError, describe
from portal.web.dependencies import settings_of
from portal.web.redirects import route_path, safe_next, split_url
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
        409: (
            _("This changed a moment ago"),
            _("Someone else changed it at the same time. Please go back and look again."),
        ),
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
    settings = settings_of(request)
    state.csrf_token = existing or generate_csrf_token(settings.app.secret_key)
    if existing:
        return []
    secure = settings.app.is_production
    return [
        Cookie(key=CSRF_COOKIE, value=state.csrf_token, path="/", samesite="lax", secure=secure)
    ]


def _error_page(request: HTMXRequest, status: int, detail: str, problem: str = "") -> Response[Any]:
    if _wants_json(request):
        return api_error(status, detail=_API_SERVER_ERROR if status >= 500 else detail)
    set_locale(shell_of(request).locale)
    title, advice = _explain(status, detail)
    # htmx swaps the whole page for an error, not the fragment it asked for.
    headers = {"HX-Retarget": "body", "HX-Reswap": "innerHTML"} if request.htmx else {}
    return Template(
        "errors/error.html",
        cookies=_csrf_cookie_for_error_page(request),
        context={"status": status, "title": title, "advice": advice, "problem": problem},
        status_code=status,
        headers=headers,
    )


# -- the JSON API: one error shape (ApiError), in English, for every status ------------------

_API_SERVER_ERROR = (
    "Something went wrong on our side. Please send the request again later; if it keeps "
    "happening, tell the hospital's IT desk."
)


def api_error(
    status: int,
    *,
    title: str | None = None,
    detail: str = "",
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """An ``ApiError`` body: what every /api/ error answers."""
    body = ApiError(
        status=status,
        title=title or TITLES.get(status, "Error"),
        detail=detail or TITLES.get(status, "Error"),
        errors=errors or [],
    )
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers or {})


def _litestar_problem(
    request: Request[Any, Any, Any], exc: HTTPException
) -> tuple[str, list[FieldError]]:
    """Plain words for the errors Litestar raises itself, before any of our code runs."""
    status = exc.status_code
    if status == 404:
        return f"There is no API operation at {request.url.path}.", []
    if status == 405:
        allowed = (exc.headers or {}).get("allow", "")
        return f"{request.method} is not allowed here; this path takes {allowed}.", []
    if status == 413:
        limit = request.route_handler.resolve_request_max_body_size()
        problem = f"is larger than the {limit} bytes this operation accepts"
        return "", [FieldError(field=BODY, problem=problem)]
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        # Only operations that do not read their body through ApiRequest get here.
        errors = []
        for item in exc.extra:
            key = str(item.get("key") or "data") if isinstance(item, dict) else "data"
            message = str(item.get("message") or "") if isinstance(item, dict) else ""
            if key == "data":
                message = (
                    "is missing or is not a JSON object" if message in {"", "'data'"} else message
                )
                key = BODY
            errors.append(FieldError(field=key, problem=message or "is not valid"))
        return "", errors
    return str(exc.detail), []


def _api_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """JSON for machines: the status, what went wrong, and each field at fault."""
    headers = dict(exc.headers or {})
    if exc.status_code >= 500:
        return api_error(exc.status_code, detail=_API_SERVER_ERROR, headers=headers)
    if isinstance(exc, ApiProblem):
        return api_error(
            exc.status_code,
            title=exc.title,
            detail=str(exc.detail),
            errors=exc.errors,
            headers=headers,
        )
    detail, errors = _litestar_problem(request, exc)
    return api_error(
        exc.status_code, detail=detail or describe(errors), errors=errors, headers=headers
    )


def http_exception_handler(request: HTMXRequest, exc: HTTPException) -> Response[Any]:
    if _wants_json(request):
        return _api_error(request, exc)
    if isinstance(exc, NotAuthorizedException):
        login = route_path(
            request, "staff-login" if request.url.path.startswith("/staff") else "login"
        )
        # An htmx request (a polled fragment) comes back to the page it was on, not the fragment.
        here = split_url(request.htmx.current_url or "").path if request.htmx else ""
        target = f"{login}?next=" + quote(safe_next(here or request.url.path))
        if request.htmx:
            return Response(b"", status_code=204, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)
    detail = exc.detail if isinstance(exc, PermissionDeniedException) else ""
    return _error_page(request, exc.status_code, detail)


def internal_error_handler(request: HTMXRequest, exc: Exception) -> Response[Any]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, "")
    except Exception:  # the error page itself failed: still no stack trace for the user
        logger.exception("error page failed")
        return Response(
            _("Sorry, something went wrong on our side"), status_code=500, media_type=MediaType.TEXT
        )


DOMAIN_STATUS: dict[type[DomainError], int] = {
    RuleError: 400,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
}


def domain_error_handler(request: HTMXRequest, exc: DomainError) -> Response[Any]:
    """A service's refusal that no handler turned into its own page (a value refused at the
    edge, a patient of another account, a doctor at another's room): the page for its kind,
    with its words, in the visitor's language; JSON under /api/."""
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind)), 400)
    if _wants_json(request):
        field = exc.field or BODY
        problem = exc.message or TITLES.get(status, "Error")
        return api_error(
            status,
            detail=f"{field}: {problem}",
            errors=[FieldError(field=field, problem=problem)],
        )
    return _error_page(request, status, "", exc.message)


exception_handlers: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
