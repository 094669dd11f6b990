"""Staff rules: passwords (argon2), who may use which desk."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from portal.db.transactions import begin_write
from portal.staff.models import Staff
from portal.touchpoints import Role, Touchpoint, role_may_use
from portal.web.forms import RuleError
from portal.web.i18n import gettext as _

_hasher = PasswordHasher()
# A hash of nothing in particular, verified when the username is unknown so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class StaffRepository(SQLAlchemyAsyncRepository[Staff]):
    model_type = Staff


class StaffService(SQLAlchemyAsyncRepositoryService[Staff]):
    """Creating staff, checking passwords, and desk permissions."""

    repository_type = StaffRepository

    async def create_staff(
        self,
        *,
        username: str,
        display_name: str,
        password: str,
        role: Role,
        touchpoints: list[Touchpoint],
        room: str | None = None,
    ) -> Staff:
        if len(password) < 10:
            raise RuleError(_("A staff password needs at least 10 characters."), "password")
        for touchpoint in touchpoints:
            if not role_may_use(role, touchpoint):
                raise RuleError(_("This role cannot work at that desk."), "touchpoints")
        staff = Staff(
            username=username.strip().lower(),
            display_name=display_name,
            password_hash=hash_password(password),
            role=role.value,
            touchpoints_csv=",".join(t.value for t in touchpoints),
            room=room,
        )
        self.repository.session.add(staff)
        await self.repository.session.commit()
        return staff

    async def authenticate(self, username: str, password: str, now: datetime) -> Staff:
        """The active staff member with this username and password; RuleError otherwise."""
        session = self.repository.session
        staff = await session.scalar(
            select(Staff).where(Staff.username == username.strip().lower())
        )
        try:
            _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            staff = None
        if staff is None or not staff.active:
            raise RuleError(_("The username or password is not right."), "password")
        changes: dict[str, object] = {"last_login_at": now}
        if _hasher.check_needs_rehash(staff.password_hash):
            changes["password_hash"] = hash_password(password)
        # The slow password check ran outside the write lock; the write itself is one statement.
        await begin_write(session)
        await session.execute(update(Staff).where(Staff.id == staff.id).values(**changes))
        await session.commit()
        return staff


def may_use(staff_role: str, staff_touchpoints: list[str], touchpoint: Touchpoint) -> bool:
    """A desk is open to a staff member whose role allows it and who is assigned to it (admins: all)."""
    role = Role(staff_role)
    if role == Role.ADMIN:
        return True
    return role_may_use(role, touchpoint) and touchpoint.value in staff_touchpoints
