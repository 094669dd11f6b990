"""A member of staff who logs in with a username and password."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, String
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
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    @property
    def touchpoints(self) -> list[str]:
        return [t for t in self.touchpoints_csv.split(",") if t]
