"""Bill records other features create and void. Paying them comes with the payments pages."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.payments.models import REGISTRATION, UNPAID, VOID, Bill, BillItem


def registration_bill(
    *,
    patient_id: UUID,
    account_id: UUID | None,
    appointment_id: UUID,
    fee_cents: int,
    item_name: str,
) -> Bill:
    """An unpaid bill for a registration fee (挂号费). The insurance share is worked out at payment."""
    return Bill(
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
            )
        ],
    )


async def void_unpaid_bills(session: AsyncSession, appointment_ids: list[UUID]) -> int:
    """Void the unpaid bills of appointments that will not happen (cancelled, missed).

    Paid bills stay as they are: refunds belong to the payments feature.
    """
    if not appointment_ids:
        return 0
    result = await session.execute(
        update(Bill)
        .where(Bill.appointment_id.in_(appointment_ids), Bill.status == UNPAID)
        .values(status=VOID)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def bill_for_appointment(session: AsyncSession, appointment_id: UUID) -> Bill | None:
    """The newest bill of an appointment (the registration fee)."""
    return await session.scalar(
        select(Bill)
        .where(Bill.appointment_id == appointment_id)
        .order_by(Bill.created_at.desc())
        .limit(1)
    )
