"""Receipts (电子票据): one per payment, for the family to see and print, with a verification
code anyone can check at ``/receipts/check`` (the lab, an insurer, the patient's employer) — which
answers only whether the receipt is real, its amount and date, never who paid."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.errors import NotFound
from portal.core.i18n import gettext as _
from portal.payments.models import Bill, Payment

_CODE = re.compile(r"^[0-9A-Z]{16}$")
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


@dataclass(frozen=True)
class Receipt:
    payment: Payment
    bills: list[Bill]


def normalised_code(text: str) -> str | None:
    """A code as typed (spaces, dashes, lower case, O for 0) in its printed form, or None when
    it cannot be one."""
    raw = re.sub(r"[\s\-]", "", text or "")[:64].upper().translate(_MISREAD)
    if not _CODE.fullmatch(raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


async def receipts_of(
    session: AsyncSession, patient_ids: Sequence[UUID], limit: int = 100
) -> list[Payment]:
    if not patient_ids:
        return []
    return list(
        await session.scalars(
            select(Payment)
            .where(Payment.patient_id.in_(list(patient_ids)))
            .order_by(Payment.created_at.desc(), Payment.id)
            .limit(limit)
        )
    )


async def receipt_of(
    session: AsyncSession, patient_ids: Sequence[UUID], payment_id: UUID
) -> Receipt:
    payment = await session.get(Payment, payment_id)
    if payment is None or payment.patient_id not in set(patient_ids):
        raise NotFound(_("There is no such receipt."))
    bills = list(
        await session.scalars(
            select(Bill).where(Bill.payment_id == payment.id).order_by(Bill.created_at)
        )
    )
    return Receipt(payment, bills)


async def receipt_with_code(session: AsyncSession, text: str) -> Payment | None:
    code = normalised_code(text)
    if code is None:
        return None
    return await session.scalar(select(Payment).where(Payment.receipt_code == code))
