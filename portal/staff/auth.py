"""Staff identity in the session, kept apart from a patient's: its own keys, its own guard."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.core.actor import Actor
from portal.core.touchpoints import Role, Touchpoint
from portal.staff.models import Staff
from portal.staff.services import StaffService, may_use
from portal.web.dependencies import db_sessions_of
from portal.web.sessions import rotate_session

STAFF_KEY = "staff"


@dataclass(frozen=True)
class StaffUser:
    id: str
    username: str
    name: str
    role: str
    touchpoints: tuple[str, ...]
    room: str | None
    doctor_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def may_assign_cover(self) -> bool:
        """Nurses and administrators ask a doctor to run another session's queue for the day."""
        return self.role in (Role.NURSE, Role.ADMIN)

    def may_use(self, touchpoint: Touchpoint) -> bool:
        return may_use(self.role, list(self.touchpoints), touchpoint)

    @property
    def may_set_up_kiosks(self) -> bool:
        """Those who check patients in at a desk may turn a screen into a self-service one."""
        return self.may_use(Touchpoint.TRIAGE) or self.may_use(Touchpoint.REGISTRATION)

    def actor(self, address: str | None) -> Actor:
        return Actor(
            kind="staff", id=self.id, name=f"{self.name} ({self.username})", address=address
        )


STAFF_IDLE_SECONDS = 60 * 60
"""A desk left alone for an hour asks for the password again (shared computers)."""
STAFF_MAX_SECONDS = 12 * 60 * 60
"""No staff login outlasts a long shift."""


def _staff_entry(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    session = connection.scope.get("session")
    raw = session.get(STAFF_KEY) if isinstance(session, dict) else None
    return raw if isinstance(raw, dict) and "id" in raw else None


def staff_logged_in(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return _staff_entry(connection) is not None


def staff_of(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffUser | None:
    """The staff member a guard has loaded for this request (None on other requests)."""
    staff = connection.scope.get("state", {}).get("staff_user")
    return staff if isinstance(staff, StaffUser) else None


def staff_log_in(connection: ASGIConnection[Any, Any, Any, Any], staff: Staff) -> None:
    """Only the id and times live in the session: role and desks are read from the database on
    every request, so a change (or a deactivated account) takes effect at once."""
    rotate_session(connection)
    now = time.time()
    session = dict(connection.session or {})
    session[STAFF_KEY] = {"id": str(staff.id), "at": now, "seen": now}
    connection.set_session(session)


def staff_log_out(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    rotate_session(connection)
    session = dict(connection.session or {})
    session.pop(STAFF_KEY, None)
    connection.set_session(session)


async def _load_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffUser:
    entry = _staff_entry(connection)
    now = time.time()
    if entry is None:
        raise NotAuthorizedException()
    if (
        now - float(entry.get("at", 0)) > STAFF_MAX_SECONDS
        or now - float(entry.get("seen", 0)) > STAFF_IDLE_SECONDS
    ):
        staff_log_out(connection)
        raise NotAuthorizedException()
    async with db_sessions_of(connection)() as session:
        staff = await StaffService(session).staff(UUID(entry["id"]))
    if staff is None or not staff.active:
        staff_log_out(connection)
        raise NotAuthorizedException()
    if (
        now - float(entry["seen"]) > 60
    ):  # remember activity, without rewriting the session each request
        connection.set_session({**(connection.session or {}), STAFF_KEY: {**entry, "seen": now}})
    user = StaffUser(
        id=str(staff.id),
        username=staff.username,
        name=staff.display_name,
        role=staff.role,
        touchpoints=tuple(staff.touchpoints),
        room=staff.room,
        doctor_code=staff.doctor_code,
    )
    connection.scope.setdefault("state", {})["staff_user"] = user
    return user


async def requires_staff(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: an active staff member is logged in (patients never pass). Under /staff, a 401
    sends the browser to the staff login page."""
    await _load_staff(connection)


async def requires_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    staff = await _load_staff(connection)
    if not staff.is_admin:
        raise PermissionDeniedException()


async def provide_staff(request: ASGIConnection[Any, Any, Any, Any]) -> StaffUser:
    staff = staff_of(request)
    return staff if staff is not None else await _load_staff(request)
