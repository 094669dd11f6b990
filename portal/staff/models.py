"""A member of staff who logs in with a username and password, and the wrong passwords typed
for each username."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base


class Staff(Base):
    """Username, argon2 password hash, role and the desks this person works at."""

    __tablename__ = "staff"

    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    touchpoints_csv: Mapped[str] = mapped_column(String(200), default="")
    room: Mapped[str | None] = mapped_column(String(40), default=None)
    doctor_code: Mapped[str | None] = mapped_column(String(32), default=None)
    """For a doctor: their code in the hospital's timetable (``Doctor.code``, e.g. D102). A doctor
    runs the queues of their own sessions today, and those a nurse asked them to cover."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    @property
    def touchpoints(self) -> list[str]:
        return [t for t in self.touchpoints_csv.split(",") if t]


class LoginGuard(Base):
    """Wrong passwords typed for one username since its last good login, and the lock they
    earned (see ``portal.staff.lockout``). Kept per username as typed, whether or not an account
    has it, so a lock never tells anyone which usernames exist."""

    __tablename__ = "staff_login_guard"

    username: Mapped[str] = mapped_column(String(40), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Tries since the last good login; a try counts from before its password is checked."""
    locked_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_try_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None, index=True
    )
