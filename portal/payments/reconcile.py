"""The day's reconciliation for the cashier's office: what we recorded as taken and sent back
through the gateway, against what the gateway says of each of those orders and refunds.

Each of the day's orders is asked about (the order query API) and each refund (the refund query
API), outside any transaction; differences are listed by order number. The follow-up
(portal/payments/tasks.py) settles open orders as it goes; this report is what an accountant
signs off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.payments.gateway import Gateway, GatewayError
from portal.payments.models import CAPTURED, REFUND_FAILED, REFUNDED_OK, PayOrder, Refund


@dataclass
class DayReport:
    day: date
    orders: int = 0
    captured_cents: int = 0
    """What we recorded as taken (every captured order, extra ones included)."""
    gateway_captured_cents: int = 0
    refunded_cents: int = 0
    """What we recorded as sent back (refunds the gateway finished)."""
    gateway_refunded_cents: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.differences


def _bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


async def day_report(
    session: AsyncSession, gateway: Gateway, day: date, zone: ZoneInfo
) -> DayReport:
    """The report for one day (the hospital's calendar day) of orders made through ``gateway``."""
    start, end = _bounds(day, zone)
    orders = list(
        await session.scalars(
            select(PayOrder)
            .where(
                PayOrder.gateway == gateway.name,
                PayOrder.made_at >= start,
                PayOrder.made_at < end,
            )
            .order_by(PayOrder.made_at)
        )
    )
    refunds = {
        r.out_refund_no: r
        for r in await session.scalars(
            select(Refund).where(Refund.order_id.in_([o.id for o in orders]))
        )
    }
    await session.commit()  # nothing held while the gateway answers
    report = DayReport(day=day, orders=len(orders))
    for order in orders:
        ours = order.amount_cents if order.status == CAPTURED else 0
        report.captured_cents += ours
        try:
            theirs = await gateway.query(order.out_trade_no)
        except GatewayError as exc:
            if exc.status == 404 and not ours:
                continue  # never made at the gateway, and nothing taken: nothing to compare
            report.differences.append(f"{order.out_trade_no}: the gateway did not answer ({exc})")
            continue
        taken = theirs.amount_total if theirs.is_paid else 0
        report.gateway_captured_cents += taken
        if taken != ours:
            report.differences.append(
                f"{order.out_trade_no}: we recorded {ours} fen taken, the gateway {taken} fen"
            )
    for refund in refunds.values():
        ours = refund.amount_cents if refund.status == REFUNDED_OK else 0
        report.refunded_cents += ours
        try:
            state = await gateway.query_refund(refund.out_refund_no)
        except GatewayError as exc:
            if exc.status == 404 and refund.status != REFUNDED_OK:
                if refund.status != REFUND_FAILED:
                    report.differences.append(
                        f"{refund.out_refund_no}: not yet at the gateway ({refund.status})"
                    )
                continue
            report.differences.append(f"{refund.out_refund_no}: the gateway did not answer ({exc})")
            continue
        back = state.amount if state.status == "SUCCESS" else 0
        report.gateway_refunded_cents += back
        if back != ours:
            report.differences.append(
                f"{refund.out_refund_no}: we recorded {ours} fen refunded, the gateway {back} fen"
            )
    return report
