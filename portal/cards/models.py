"""Cards issued to patients. A reissue revokes the card and issues a new number."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, Integer, String
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
