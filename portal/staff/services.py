"""Staff rules: passwords (argon2), who may use which desk, and the reads other features need
(a doctor to cover a room, whether a kiosk's nurse is still active)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.actor import Actor
from portal.core.clock import Clock
from portal.core.errors import RuleError
from portal.core.i18n import gettext as _
from portal.core.touchpoints import Role, Touchpoint, role_may_use
from portal.db.transactions import begin_write
from portal.staff import lockout
from portal.staff.models import Staff

_hasher = PasswordHasher()
# A hash of nothing in particular, verified when the username is unknown so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def works_in_a_doctors_room(staff: Staff) -> bool:
    """An active doctor assigned to a doctor's room: who may be asked to cover one."""
    return (
        staff.active
        and staff.role == Role.DOCTOR.value
        and Touchpoint.CLINIC.value in staff.touchpoints
    )


class StaffService:
    """Creating staff, checking passwords, unlocking and linking accounts, and the look-ups
    other features ask of staff (never reading the staff tables themselves)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- accounts ------------------------------------------------------------------------------

    async def create_staff(
        self,
        *,
        username: str,
        display_name: str,
        password: str,
        role: Role,
        touchpoints: list[Touchpoint],
        room: str | None = None,
        doctor_code: str | None = None,
    ) -> Staff:
        if len(password) < 10:
            raise RuleError(_("A staff password needs at least 10 characters."), "password")
        for touchpoint in touchpoints:
            if not role_may_use(role, touchpoint):
                raise RuleError(_("This role cannot work at that desk."), "touchpoints")
        if doctor_code and role != Role.DOCTOR:
            raise RuleError(_("Only a doctor's account can name a doctor."), "doctor_code")
        staff = Staff(
            username=username.strip().lower(),
            display_name=display_name,
            password_hash=hash_password(password),
            role=role.value,
            touchpoints_csv=",".join(t.value for t in touchpoints),
            room=room,
            doctor_code=doctor_code or None,
        )
        self.session.add(staff)
        await self.session.commit()
        return staff

    async def authenticate(
        self, username: str, password: str, clock: Clock, address: str | None = None
    ) -> Staff:
        """The active staff member with this username and password; RuleError otherwise, and
        ``lockout.UsernameLocked`` while the username is locked (see ``portal.staff.lockout``).

        A wrong password, an unknown username and an inactive account get the same answer, at
        the same cost (an argon2 check against a dummy hash when there is no account)."""
        session = self.session
        name = username.strip().lower()
        staff = await session.scalar(select(Staff).where(Staff.username == name))
        actor = Actor(
            kind="staff", id=str(staff.id) if staff else None, name=name or "-", address=address
        )
        attempt = await lockout.begin_attempt(session, name, clock, actor)
        right = await _password_matches(staff.password_hash if staff else _DUMMY_HASH, password)
        now = clock.now()
        if staff is None or not staff.active or not right:
            await lockout.attempt_failed(session, attempt, actor, now)
            if attempt.locked_until is not None:
                raise lockout.UsernameLocked(attempt.locked_until, clock)
            raise RuleError(_("The username or password is not right."), "password")
        changes: dict[str, object] = {"last_login_at": now}
        if _hasher.check_needs_rehash(staff.password_hash):
            changes["password_hash"] = hash_password(password)
        await begin_write(session)
        await lockout.attempt_succeeded(session, name)
        await session.execute(update(Staff).where(Staff.id == staff.id).values(**changes))
        await session.commit()
        return staff

    async def link_doctor(self, username: str, doctor_code: str) -> None:
        """Name the timetable doctor (``Doctor.code``) a doctor's account belongs to."""
        staff = await self.session.scalar(select(Staff).where(Staff.username == username))
        if staff is None or staff.role != Role.DOCTOR.value:
            raise RuleError(_("Only a doctor's account can name a doctor."), "doctor_code")
        await begin_write(self.session)
        await self.session.execute(
            update(Staff).where(Staff.id == staff.id).values(doctor_code=doctor_code or None)
        )
        await self.session.commit()

    async def unlock(self, staff_id: UUID, actor: Actor, clock: Clock) -> Staff | None:
        """An administrator lifts the lock on a staff account (None: no such account)."""
        staff = await self.session.get(Staff, staff_id)
        if staff is None:
            return None
        await lockout.unlock(self.session, staff.username, actor, clock.now())
        return staff

    async def locked_accounts(self, clock: Clock) -> list[lockout.LockedAccount]:
        """Staff accounts locked now by wrong passwords, the longest-locked first."""
        return await lockout.locked_accounts(self.session, clock.now())

    # -- reads ---------------------------------------------------------------------------------

    async def staff(self, staff_id: UUID) -> Staff | None:
        return await self.session.get(Staff, staff_id)

    async def staff_by_id(self, staff_ids: Iterable[UUID]) -> dict[UUID, Staff]:
        """Several staff members at once (for a list that names them)."""
        wanted = set(staff_ids)
        if not wanted:
            return {}
        rows = await self.session.scalars(select(Staff).where(Staff.id.in_(wanted)))
        return {staff.id: staff for staff in rows}

    async def is_active(self, username: str) -> bool:
        """Whether an active staff account has this username (a kiosk lasts as long as the
        account of the nurse who set it up)."""
        active = await self.session.scalar(select(Staff.active).where(Staff.username == username))
        return bool(active)

    async def room_doctors(self) -> list[Staff]:
        """Active doctors who work in a doctor's room: those who can be asked to cover one."""
        rows = await self.session.scalars(
            select(Staff)
            .where(Staff.active.is_(True), Staff.role == Role.DOCTOR.value)
            .order_by(Staff.display_name, Staff.username)
        )
        return [staff for staff in rows if works_in_a_doctors_room(staff)]

    async def room_doctor(self, staff_id: UUID) -> Staff | None:
        """This staff member if they are an active doctor who works in a doctor's room."""
        staff = await self.session.get(Staff, staff_id)
        return staff if staff is not None and works_in_a_doctors_room(staff) else None


async def _password_matches(password_hash: str, password: str) -> bool:
    """argon2 takes tens of milliseconds of CPU on purpose: off the event loop, so other
    requests are served meanwhile."""

    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify)


def may_use(staff_role: str, staff_touchpoints: list[str], touchpoint: Touchpoint) -> bool:
    """A desk is open to a staff member whose role allows it and who is assigned to it (admins: all)."""
    role = Role(staff_role)
    if role == Role.ADMIN:
        return True
    return role_may_use(role, touchpoint) and touchpoint.value in staff_touchpoints
