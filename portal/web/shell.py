"""The shell around every page: display mode, language and who is logged in.

A patient's preferences live in cookies (so they work before login) and, once logged in, on the
account and in the server-side session. The middleware resolves them once per request, sets the
active locale and leaves a ``Shell`` in the scope for templates and handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.datastructures import Cookie, Headers

from portal.core.i18n import gettext as _
from portal.core.i18n import normalize_locale, set_locale
from portal.web.forms import InvalidInput
from portal.web.text import has_control_bytes

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Receive, Scope, Send

MODE_COOKIE = "ymt_mode"
LANG_COOKIE = "ymt_lang"
MODES = ("standard", "elder")
PREFERENCE_MAX_AGE = 365 * 86400
PROBES = frozenset({"/healthz", "/readyz"})
"""The load balancer's health probes: no page, no visitor, nothing for the shell to resolve."""
SCOPE_KEY = "portal_shell"

# Keys the server-side session holds for a logged-in patient.
SESSION_ACCOUNT = "account_id"
SESSION_PATIENT = "patient_id"
SESSION_PATIENT_LABEL = "patient_label"
SESSION_MODE = "mode"
SESSION_LOCALE = "locale"
SESSION_STARTED = "logged_in_at"
PATIENT_KEYS = (
    SESSION_ACCOUNT,
    SESSION_PATIENT,
    SESSION_PATIENT_LABEL,
    SESSION_MODE,
    SESSION_LOCALE,
    SESSION_STARTED,
)


@dataclass(frozen=True)
class Shell:
    """What the header and layout need to know about this request."""

    locale: str
    mode: str
    account_id: str | None = None
    patient_id: str | None = None
    patient_label: str | None = None

    @property
    def elder(self) -> bool:
        return self.mode == "elder"

    @property
    def logged_in(self) -> bool:
        return self.account_id is not None


def _session_of(scope: Scope) -> dict[str, Any]:
    session = scope.get("session")
    return session if isinstance(session, dict) else {}


def _cookies_of(scope: Scope) -> dict[str, str]:
    raw = Headers.from_scope(scope).get("cookie", "")
    cookies: dict[str, str] = {}
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies[name] = value
    return cookies


def normalize_mode(value: str | None) -> str:
    return value if value in MODES else "standard"


def resolve_shell(scope: Scope, default_locale: str) -> Shell:
    """Work out mode, locale and login for a request; cached in the scope."""
    cached = scope.get(SCOPE_KEY)
    if isinstance(cached, Shell):
        return cached
    session = _session_of(scope)
    cookies = _cookies_of(scope)
    locale = normalize_locale(
        session.get(SESSION_LOCALE) or cookies.get(LANG_COOKIE), default_locale
    )
    mode = normalize_mode(session.get(SESSION_MODE) or cookies.get(MODE_COOKIE))
    shell = Shell(
        locale=locale,
        mode=mode,
        account_id=session.get(SESSION_ACCOUNT),
        patient_id=session.get(SESSION_PATIENT),
        patient_label=session.get(SESSION_PATIENT_LABEL),
    )
    scope[SCOPE_KEY] = shell  # type: ignore[literal-required]
    return shell


def shell_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Shell:
    """The shell of a request the middleware has seen (handlers, guards, templates)."""
    default = connection.app.state.get("default_locale", "zh_Hans")
    return resolve_shell(connection.scope, default)


def forget_shell(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Drop the cached shell after login, logout or a preference change in this request."""
    connection.scope.pop(SCOPE_KEY, None)  # type: ignore[misc]


def preference_cookies(
    *, mode: str | None = None, locale: str | None = None, secure: bool
) -> list[Cookie]:
    """Cookies that remember mode and language for a year (before and after login)."""
    cookies = []
    if mode is not None:
        cookies.append(
            Cookie(
                key=MODE_COOKIE,
                value=normalize_mode(mode),
                max_age=PREFERENCE_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        )
    if locale is not None:
        cookies.append(
            Cookie(
                key=LANG_COOKIE,
                value=normalize_locale(locale),
                max_age=PREFERENCE_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        )
    return cookies


def end_expired_login(scope: Scope, lifetime_seconds: int, now: float) -> None:
    """A patient's login lasts at most ``lifetime_seconds`` from the moment it began, however
    often it is used (an open /queue tab refreshes the session's idle expiry forever). A login
    older than that, or from before its start was recorded, ends here; a staff login or a kiosk
    in the same session keeps its own limits."""
    session = scope.get("session")
    if not isinstance(session, dict) or not session.get(SESSION_ACCOUNT):
        return
    started = session.get(SESSION_STARTED)
    if isinstance(started, int | float) and 0 <= now - started <= lifetime_seconds:
        return
    scope["session"] = {k: v for k, v in session.items() if k not in PATIENT_KEYS}


def shell_middleware_factory(default_locale: str, login_lifetime_seconds: int) -> Any:
    """ASGI middleware: resolve the shell and set the active locale before the handler runs.
    An address holding control characters (``?q=a%00b``) is refused here, once for every route:
    no path or query parameter of ours takes one, and PostgreSQL cannot even compare NUL."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] not in PROBES:
                now = scope["app"].state.clock.now().timestamp()
                end_expired_login(scope, login_lifetime_seconds, now)
                shell = resolve_shell(scope, default_locale)
                set_locale(shell.locale)
                if has_control_bytes(scope["path"].encode()) or has_control_bytes(
                    scope.get("query_string", b"")
                ):
                    raise InvalidInput(
                        _(
                            "The address of this page holds characters that cannot be used "
                            "(invisible or control characters). Please check the link."
                        )
                    )
            await app(scope, receive, send)

        return middleware

    return factory
