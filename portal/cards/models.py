"""Cards issued to patients. A reissue revokes the card and issues a new number."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base


class ECard(Base):
    """One card number. A patient has exactly one active card; earlier ones stay, revoked, so a
    scan of an old printout or screenshot can say "replaced" rather than "unknown"."""

    __tablename__ = "ecard"

    patient_id: Mapped[UUID] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    card_number: Mapped[str] = mapped_column(String(16), unique=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class LiveCodeUse(Base):
    """A live code accepted at a desk that takes money or hands out medicine. The unique key is
    what makes "each live code works once there" hold when two scans of one code arrive in the
    same instant (two windows, a double-fired scanner): the second insert finds the first."""

    __tablename__ = "live_code_use"
    __table_args__ = (UniqueConstraint("touchpoint", "card_number", "window"),)

    touchpoint: Mapped[str] = mapped_column(String(32))
    card_number: Mapped[str] = mapped_column(String(16))
    window: Mapped[int] = mapped_column(BigInteger)
