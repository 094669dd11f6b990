"""One line of the audit log."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.types import GUID
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base


class AuditEvent(Base):
    """Who did what, where, to which patient's record, and how it ended."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_created", "created_at"),
        Index("ix_audit_event_patient", "patient_id", "created_at"),
    )

    actor_kind: Mapped[str] = mapped_column(String(16))  # staff, api, patient, system
    actor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40), index=True)
    touchpoint: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    patient_id: Mapped[UUID | None] = mapped_column(GUID, default=None)
    card_number: Mapped[str | None] = mapped_column(String(20), default=None)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
