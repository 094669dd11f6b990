"""Read-only questions other features ask about accounts, so they never query these tables:
whose patients an account manages, and where to text an account holder.

Each takes the caller's session and only reads (inside the caller's transaction, if one is
open).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Account, AccountPatient, Patient

FAMILY_TABLES = (AccountPatient.__tablename__, Patient.__tablename__)
"""The tables a reading of an account's family (who they are, what they are called) comes from:
a page that keeps such a reading (portal/db/generations.py) names them."""


@dataclass(frozen=True)
class Contact:
    """Where and in which language to send an account holder a text message."""

    phone: str
    locale: str | None


async def patient_ids_of(session: AsyncSession, account_id: UUID) -> list[UUID]:
    """The patients (就诊人) an account manages: at most a handful, for ``IN (...)`` filters."""
    return list(
        await session.scalars(
            select(AccountPatient.patient_id).where(AccountPatient.account_id == account_id)
        )
    )


async def manages(session: AsyncSession, account_id: UUID, patient_id: UUID) -> bool:
    """Whether the account manages this patient (may see and act for them)."""
    link = await session.scalar(
        select(AccountPatient.id).where(
            AccountPatient.account_id == account_id, AccountPatient.patient_id == patient_id
        )
    )
    return link is not None


async def contact_of(session: AsyncSession, account_id: UUID) -> Contact | None:
    """The account's phone and chosen language (None when the account no longer exists)."""
    row = (
        await session.execute(select(Account.phone, Account.locale).where(Account.id == account_id))
    ).first()
    return Contact(phone=row.phone, locale=row.locale) if row is not None else None


async def account_id_with_phone(session: AsyncSession, phone: str) -> UUID | None:
    """The account that logs in with this (normalised) phone number, if any."""
    return await session.scalar(select(Account.id).where(Account.phone == phone))


async def patients_with_id_numbers(session: AsyncSession, id_numbers: list[str]) -> dict[str, UUID]:
    """The patients these resident ID numbers (normalised, 18 characters) belong to, by number:
    how the hospital's systems name a patient. Unknown numbers are left out."""
    if not id_numbers:
        return {}
    rows = await session.execute(
        select(Patient.id_number, Patient.id).where(Patient.id_number.in_(sorted(set(id_numbers))))
    )
    return {number: patient_id for number, patient_id in rows}
