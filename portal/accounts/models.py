"""An account logs in; it manages up to five patients (就诊人), each of whom may be shared."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.idnumber import Sex
from portal.db.base import Base


class Account(Base):
    """A person who logs in with a phone number and an SMS code."""

    __tablename__ = "account"

    phone: Mapped[str] = mapped_column(String(20), unique=True)
    display_mode: Mapped[str | None] = mapped_column(String(16), default=None)
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    elder_offer_answered: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class Patient(Base):
    """A person who is treated: one per ID number, reachable from every account that added them."""

    __tablename__ = "patient"

    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    sex: Mapped[str] = mapped_column(String(1))  # "M" or "F", from the ID number
    birth_date: Mapped[date] = mapped_column(Date)
    registered_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), default=None
    )
    """The account that added the patient first: only it may change their details."""

    @property
    def male(self) -> bool:
        return self.sex == Sex.MALE


class AccountPatient(Base):
    """That an account manages a patient, and what the patient is to the account holder."""

    __tablename__ = "account_patient"
    __table_args__ = (UniqueConstraint("account_id", "patient_id"),)

    account_id: Mapped[UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[UUID] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    relationship_kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)

    patient: Mapped[Patient] = relationship(lazy="joined")


class LoginCode(Base):
    """A one-time SMS code, stored only as a keyed hash."""

    __tablename__ = "login_code"

    phone: Mapped[str] = mapped_column(String(20), index=True)
    purpose: Mapped[str] = mapped_column(String(80), default="login")
    """``login``, or ``link:<patient id>`` for a patient's consent to join an account."""
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_from: Mapped[str | None] = mapped_column(String(64), default=None)
