"""Messages the development sender kept, so a developer (or a test) can read the code."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base


class OutboxMessage(Base):
    """One SMS as it would have been sent."""

    __tablename__ = "outbox_message"

    phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
