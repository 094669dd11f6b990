"""The bill rules, in one place. Other features ask for bills here and never touch the tables:
booking creates a registration bill for each appointment, voids the unpaid ones of appointments
that will not happen, and has a voided one reinstated when a missed patient arrives after all.

Every method works inside the caller's transaction and never commits: a bill changes together
with the appointment it belongs to, or not at all. Paying (gateway, receipts) comes with the
payments pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.errors import NotFound
from portal.core.i18n import gettext as _
from portal.db.transactions import lock_key
from portal.payments.models import (
    CANCELLED,
    CLASS_A,
    PAID,
    REFUNDED,
    REGISTRATION,
    UNPAID,
    VOID,
    Bill,
    BillItem,
)
from portal.payments.refunds import refund_part_of


class BillService:
    """Bills as the other features see them: create, void, reinstate, look up."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_registration_bill(
        self,
        *,
        patient_id: UUID,
        account_id: UUID | None,
        appointment_id: UUID,
        fee_cents: int,
        item_name: str,
    ) -> Bill:
        """An unpaid bill for a registration fee (挂号费), added to the session (not yet flushed).

        The appointment's row must be flushed first: the bill points at it, and payments knows
        nothing of booking's tables to order the inserts by. The insurance share is worked out
        at payment."""
        bill = Bill(
            patient_id=patient_id,
            account_id=account_id,
            kind=REGISTRATION,
            appointment_id=appointment_id,
            total_cents=fee_cents,
            insurance_cents=0,
            status=UNPAID,
            items=[
                BillItem(
                    code=REGISTRATION,
                    name=item_name[:120],
                    quantity=1,
                    unit_cents=fee_cents,
                    amount_cents=fee_cents,
                    insurance_class=CLASS_A,  # registration (挂号费) is in the catalogue's 甲类
                )
            ],
        )
        self.session.add(bill)
        return bill

    async def void_unpaid(self, appointment_ids: Sequence[UUID]) -> int:
        """Void the unpaid bills of appointments that will not happen (cancelled, missed).
        Returns how many were voided.

        Paid bills stay as they are: refunds belong to the payments pages."""
        if not appointment_ids:
            return 0
        result = await self.session.execute(
            update(Bill)
            .where(Bill.appointment_id.in_(list(appointment_ids)), Bill.status == UNPAID)
            .values(status=VOID)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def reinstate_voided(self, appointment_id: UUID) -> int:
        """A missed appointment's patient came after all: its voided bill is to be paid again.
        Returns how many bills were reinstated (0 when none was void, a paid one say)."""
        result = await self.session.execute(
            update(Bill)
            .where(Bill.appointment_id == appointment_id, Bill.status == VOID)
            .values(status=UNPAID)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def refund_paid(self, appointment_ids: Sequence[UUID]) -> int:
        """The paid bills of appointments cancelled in time: what the patient paid goes back
        through the gateway that took it, on its own, and the bill reads "refunded". Returns
        how many. A bill paid at the cashier's window stays paid: the window hands it back."""
        if not appointment_ids:
            return 0
        refunded = 0
        for bill in await self.session.scalars(
            select(Bill).where(Bill.appointment_id.in_(list(appointment_ids)), Bill.status == PAID)
        ):
            await lock_key(self.session, f"pay:{bill.patient_id}")
            refund = await refund_part_of(
                self.session, bill, bill.total_cents - bill.insurance_cents, CANCELLED
            )
            if refund is not None:
                bill.status = REFUNDED
                refunded += 1
        return refunded

    async def mark_paid(self, appointment_ids: Sequence[UUID]) -> int:
        """Record the unpaid bills of these appointments as paid at the hospital's own window
        (the demo's past visits; the cashier desk later). Returns how many changed."""
        if not appointment_ids:
            return 0
        result = await self.session.execute(
            update(Bill)
            .where(Bill.appointment_id.in_(list(appointment_ids)), Bill.status == UNPAID)
            .values(status=PAID)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def bills_of(self, patient_ids: Sequence[UUID], *, limit: int = 200) -> list[Bill]:
        """These patients' bills, unpaid first, then newest first (at most ``limit``)."""
        if not patient_ids:
            return []
        unpaid_first = case((Bill.status == UNPAID, 0), else_=1)
        return list(
            await self.session.scalars(
                select(Bill)
                .where(Bill.patient_id.in_(list(patient_ids)))
                .order_by(unpaid_first, Bill.created_at.desc(), Bill.id)
                .limit(limit)
            )
        )

    async def bill_of(self, patient_ids: Sequence[UUID], bill_id: UUID) -> Bill:
        """One of these patients' bills; NotFound for any other (someone else's looks the same
        as none)."""
        bill = await self.session.get(Bill, bill_id)
        if bill is None or bill.patient_id not in set(patient_ids):
            raise NotFound(_("There is no such bill."))
        return bill

    async def bill_for_appointment(self, appointment_id: UUID) -> Bill | None:
        """The newest bill of an appointment (the registration fee)."""
        return await self.session.scalar(
            select(Bill)
            .where(Bill.appointment_id == appointment_id)
            .order_by(Bill.created_at.desc())
            .limit(1)
        )
