"""Money going back through the gateway that took it, asked for in the caller's write
transaction (with the change that causes it) and sent to the gateway afterwards by the
follow-up (portal/payments/tasks.py), which asks again until the gateway takes it.

Only money taken through a gateway goes back on its own; what was paid at the cashier's window
is handed back at the window.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.payments.models import CAPTURED, REFUND_FAILED, Bill, PayOrder, Refund


def new_refund_no() -> str:
    return "RF" + secrets.token_hex(12).upper()


async def refund_part_of(
    session: AsyncSession, bill: Bill, amount_cents: int, reason: str
) -> Refund | None:
    """Ask for ``amount_cents`` of a paid bill back (never more than its order has left to
    give). None when the bill was not paid through a gateway, or nothing is left."""
    if bill.payment_id is None or amount_cents <= 0:
        return None
    order = await session.scalar(
        select(PayOrder).where(PayOrder.payment_id == bill.payment_id, PayOrder.status == CAPTURED)
    )
    if order is None:
        return None
    given = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
            Refund.order_id == order.id, Refund.status != REFUND_FAILED
        )
    )
    amount = min(amount_cents, order.amount_cents - int(given or 0))
    if amount <= 0:
        return None
    refund = Refund(
        out_refund_no=new_refund_no(),
        order_id=order.id,
        patient_id=bill.patient_id,
        bill_id=bill.id,
        amount_cents=amount,
        reason=reason,
    )
    session.add(refund)
    return refund
