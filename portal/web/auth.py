"""Who is logged in: a guard for patient pages and the session helpers login and logout use."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from portal.core.actor import Actor
from portal.core.masking import mask_name
from portal.web import shell as shell_keys
from portal.web.dependencies import clock_of
from portal.web.sessions import RENEWED, rotate_session
from portal.web.shell import forget_shell, shell_of


async def requires_patient_login(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: a patient account must be logged in (401 becomes a redirect to /login).

    Async although it awaits nothing: Litestar runs a plain function guard in a worker thread,
    a thread hand-off on every page a patient opens."""
    if not shell_of(connection).logged_in:
        raise NotAuthorizedException()


async def provide_account_id(request: ASGIConnection[Any, Any, Any, Any]) -> UUID:
    """The logged-in account's id, for handlers behind ``requires_patient_login``."""
    account_id = shell_of(request).account_id
    if account_id is None:
        raise NotAuthorizedException()
    return UUID(account_id)


PATIENT_KEYS = shell_keys.PATIENT_KEYS


def log_in(
    connection: ASGIConnection[Any, Any, Any, Any],
    account_id: UUID,
    *,
    mode: str | None,
    locale: str | None,
) -> None:
    """Start a fresh session for an account (a new session id: no fixation). What the login
    pages kept is dropped; a staff login in the same browser stays."""
    rotate_session(connection)
    kept = {
        k: v
        for k, v in (connection.session or {}).items()
        if k not in PATIENT_KEYS and not k.startswith("login_")
    }
    connection.set_session(
        {
            **kept,
            shell_keys.SESSION_ACCOUNT: str(account_id),
            shell_keys.SESSION_STARTED: clock_of(connection).now().timestamp(),
            **({shell_keys.SESSION_MODE: mode} if mode else {}),
            **({shell_keys.SESSION_LOCALE: locale} if locale else {}),
        }
    )
    forget_shell(connection)


def log_out(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """End the patient's login (a staff login in the same browser is separate and stays)."""
    rotate_session(connection)
    remaining = {
        k: v
        for k, v in (connection.session or {}).items()
        if k not in PATIENT_KEYS and k != RENEWED  # when it was renewed is not worth keeping
    }
    if remaining:
        connection.set_session(remaining)
    else:
        connection.clear_session()
    forget_shell(connection)


def choose_patient(
    connection: ASGIConnection[Any, Any, Any, Any], patient_id: UUID | None, name: str | None
) -> None:
    """Make a family member the current patient (the header shows them masked)."""
    session = dict(connection.session or {})
    if patient_id is None:
        session.pop(shell_keys.SESSION_PATIENT, None)
        session.pop(shell_keys.SESSION_PATIENT_LABEL, None)
    else:
        session[shell_keys.SESSION_PATIENT] = str(patient_id)
        session[shell_keys.SESSION_PATIENT_LABEL] = mask_name(name or "")
    connection.set_session(session)
    forget_shell(connection)


def remember_preferences(
    connection: ASGIConnection[Any, Any, Any, Any],
    *,
    mode: str | None = None,
    locale: str | None = None,
) -> None:
    """Keep a logged-in patient's preference in the session (the account keeps it too)."""
    if not shell_of(connection).logged_in:
        return
    session = dict(connection.session or {})
    if mode is not None:
        session[shell_keys.SESSION_MODE] = mode
    if locale is not None:
        session[shell_keys.SESSION_LOCALE] = locale
    connection.set_session(session)
    forget_shell(connection)


def patient_actor(connection: ASGIConnection[Any, Any, Any, Any], account_id: UUID) -> Actor:
    """The logged-in account, as the audit log names who acted."""
    return Actor(
        kind="patient",
        id=str(account_id),
        name="patient account",
        address=connection.client.host if connection.client else None,
    )
