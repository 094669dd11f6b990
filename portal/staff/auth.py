"""Staff identity in the session, kept apart from a patient's: its own keys, its own guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.audit.services import Actor
from portal.staff.models import Staff
from portal.staff.services import may_use
from portal.touchpoints import Role, Touchpoint
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

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def may_use(self, touchpoint: Touchpoint) -> bool:
        return may_use(self.role, list(self.touchpoints), touchpoint)

    def actor(self, address: str | None) -> Actor:
        return Actor(
            kind="staff", id=self.id, name=f"{self.name} ({self.username})", address=address
        )


def staff_of(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffUser | None:
    session = connection.scope.get("session")
    raw = session.get(STAFF_KEY) if isinstance(session, dict) else None
    if not isinstance(raw, dict):
        return None
    return StaffUser(
        id=raw["id"],
        username=raw["username"],
        name=raw["name"],
        role=raw["role"],
        touchpoints=tuple(raw.get("touchpoints", ())),
        room=raw.get("room"),
    )


def staff_log_in(connection: ASGIConnection[Any, Any, Any, Any], staff: Staff) -> None:
    rotate_session(connection)
    session = dict(connection.session or {})
    session[STAFF_KEY] = {
        "id": str(staff.id),
        "username": staff.username,
        "name": staff.display_name,
        "role": staff.role,
        "touchpoints": staff.touchpoints,
        "room": staff.room,
    }
    connection.set_session(session)


def staff_log_out(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    rotate_session(connection)
    session = dict(connection.session or {})
    session.pop(STAFF_KEY, None)
    connection.set_session(session)


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a staff member must be logged in (patients never pass). Under /staff, a 401 sends
    the browser to the staff login page."""
    if staff_of(connection) is None:
        raise NotAuthorizedException()


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    staff = staff_of(connection)
    if staff is None:
        raise NotAuthorizedException()
    if not staff.is_admin:
        raise PermissionDeniedException()


async def provide_staff(request: ASGIConnection[Any, Any, Any, Any]) -> StaffUser:
    staff = staff_of(request)
    if staff is None:
        raise NotAuthorizedException()
    return staff
