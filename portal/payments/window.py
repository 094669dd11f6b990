"""Money taken at the cashier's window (收费处): the cashier scans the patient's live code, sees
their unpaid bills with the insurance share, and records cash or card.

A payment is taken once. Its key (made when the cashier's screen showed the bills) makes a
repeated submission — a double click, the back button, a retry after a timeout — the same
payment; and a bill moves from unpaid to paid only once, whoever else tries at the same moment
(the patient's turn is taken first: PostgreSQL waits on a lock per patient, SQLite holds its
one write lock). The insurance share is settled in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.audit.services import record
from portal.core.actor import Actor
from portal.core.errors import Conflict, RuleError
from portal.core.i18n import gettext as _
from portal.db.transactions import begin_write, lock_key
from portal.payments.insurance import Settlement, Share
from portal.payments.models import PAID, PAYMENT_METHODS, UNPAID, Bill, Payment

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
"""A payment form's key, as ``secrets.token_urlsafe`` makes it."""
MAX_PAYMENT_CENTS = 1_000_000_000
"""¥10,000,000 at one time: far above any outpatient payment, and within the database's integers."""


@dataclass(frozen=True)
class Taken:
    """A payment and the bills it paid; ``again`` when this submission had already been taken."""

    payment: Payment
    bills: list[Bill]
    again: bool = False


async def unpaid_bills(session: AsyncSession, patient_id: UUID) -> list[Bill]:
    """The patient's unpaid bills, oldest first (the order they are settled in)."""
    return list(
        await session.scalars(
            select(Bill)
            .where(Bill.patient_id == patient_id, Bill.status == UNPAID)
            .order_by(Bill.created_at, Bill.id)
        )
    )


async def mark_bills_paid(
    session: AsyncSession, bills: Sequence[Bill], payment_id: UUID, shares: Mapping[UUID, Share]
) -> bool:
    """Each bill from unpaid to paid by this payment, with its settled insurance share, in the
    caller's transaction. False when one was no longer unpaid (the caller rolls back)."""
    for bill in bills:
        changed = await session.execute(
            update(Bill)
            .where(Bill.id == bill.id, Bill.status == UNPAID)
            .values(
                status=PAID, payment_id=payment_id, insurance_cents=shares[bill.id].insurance_cents
            )
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return False
    return True


class AmountChanged(Conflict):
    """What the chosen bills come to is not what the cashier was shown (lines added by the
    hospital, the insurance type changed, or only some bills chosen): nothing was taken."""

    def __init__(self, chosen: list[UUID]) -> None:
        super().__init__(
            _("The amount to take has changed: check the new amount and record the payment again.")
        )
        self.chosen = chosen


def check_key(key: str) -> str:
    if not KEY.fullmatch(key or ""):
        raise RuleError(_("This payment form is out of date: scan the card again."))
    return key


async def take_payment(
    session: AsyncSession,
    settlement: Settlement,
    *,
    patient_id: UUID,
    bill_ids: Sequence[UUID],
    method: str,
    key: str,
    expected_cents: int | None,
    actor: Actor,
    now: datetime,
) -> Taken:
    """Take one payment for these unpaid bills of the patient, when they come to
    ``expected_cents`` for the patient (what the cashier was shown). Raises ``RuleError`` for a
    method or a form that cannot be paid, ``AmountChanged`` when the amount is not what was
    shown, ``Conflict`` when the bills were paid a moment ago."""
    if method not in PAYMENT_METHODS:
        raise RuleError(_("Choose cash or card."), field="method")
    if not bill_ids:
        raise RuleError(_("Choose at least one bill to pay."), field="bills")
    check_key(key)
    await begin_write(session)
    try:
        await lock_key(session, f"pay:{patient_id}")
        earlier = await session.scalar(select(Payment).where(Payment.key == key))
        if earlier is not None:
            if earlier.patient_id != patient_id:
                raise RuleError(_("This payment form is out of date: scan the card again."))
            paid = list(await session.scalars(select(Bill).where(Bill.payment_id == earlier.id)))
            await session.commit()
            return Taken(earlier, paid, again=True)
        wanted = set(bill_ids)
        bills = [b for b in await unpaid_bills(session, patient_id) if b.id in wanted]
        if len(bills) != len(wanted):
            raise Conflict(
                _("Some of these bills were paid or changed a moment ago: scan the card again.")
            )
        if sum(b.total_cents for b in bills) > MAX_PAYMENT_CENTS:
            raise RuleError(_("Too much for one payment: choose fewer bills."), field="bills")
        shares = await settlement.settle(session, patient_id, bills, now.year)
        if sum(s.patient_cents for s in shares.values()) != expected_cents:
            raise AmountChanged([b.id for b in bills])
        payment = Payment(
            key=key,
            patient_id=patient_id,
            method=method,
            total_cents=sum(s.total_cents for s in shares.values()),
            insurance_cents=sum(s.insurance_cents for s in shares.values()),
            amount_cents=sum(s.patient_cents for s in shares.values()),
            taken_by=actor.name[:80],
        )
        session.add(payment)
        try:
            await session.flush()
        except IntegrityError as exc:  # the same form, for another patient, a moment ago
            raise RuleError(_("This payment form is out of date: scan the card again.")) from exc
        if not await mark_bills_paid(session, bills, payment.id, shares):
            raise Conflict(
                _("Some of these bills were paid or changed a moment ago: scan the card again.")
            )
        await record(
            session,
            actor,
            "payment.window",
            method,
            touchpoint="cashier",
            patient_id=patient_id,
            detail=f"{payment.amount_cents} fen paid, {payment.insurance_cents} fen insurance, "
            f"{len(bills)} bills",
        )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    for bill in bills:
        await session.refresh(bill)
    return Taken(payment, bills)
