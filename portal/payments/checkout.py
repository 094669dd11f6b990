"""Paying on the phone (and at the kiosk) through the gateway, never twice.

- **An order** is one attempt to pay some of a patient's bills. The amount is worked out here,
  from the bills and the insurance split, when the order is made. The form's key makes a double
  tap, the back button or a retry the same order, and an open order for the same bills at the
  same amount is offered again to whoever asks (a second family member's phone), so one payment
  page exists per set of bills.
- **A capture** happens once per order, whoever reports it first: the gateway's notification
  (sent again and again, perhaps out of order) or the return page asking the gateway itself.
  The patient's lock and the payment's unique key make the second report find it done.
- **An extra capture** — the order's bills were paid another way meanwhile (the cashier, another
  order), or now come to another amount — takes nothing off the bills; the money is sent back
  by a refund, and the patient sees it.

The gateway is called outside any write transaction: each function that calls it reads, calls,
then writes in a short transaction of its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.audit.services import record
from portal.core.actor import Actor
from portal.core.errors import Conflict, NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.db.transactions import lock_key, write_transaction
from portal.payments.gateway import Gateway, GatewayError, RefundState, Transaction
from portal.payments.insurance import Settlement, YearSoFar, schemes_and_years
from portal.payments.models import (
    CAPTURED,
    CLOSED,
    CREATING,
    EXTRA,
    NATIVE,
    OPEN,
    PROCESSING,
    REFUND_FAILED,
    REFUNDED_OK,
    REQUESTED,
    UNPAID,
    WECHAT,
    Bill,
    GatewayNotice,
    Payment,
    PayOrder,
    PayOrderBill,
    Refund,
)
from portal.payments.window import MAX_PAYMENT_CENTS, check_key, mark_bills_paid, unpaid_bills

GATEWAY_ACTOR = Actor(kind="system", id="gateway", name="WeChat Pay")


class UnknownOrder(NotFound):
    """The gateway names an order we never made."""


class Mismatch(RuleError):
    """What the gateway reports does not match the order (merchant, amount)."""


class Replayed(RuleError):
    """A notification already received, sent again with the same signature."""


def new_out_trade_no(now: datetime) -> str:
    """``YMT`` and the moment, then 12 random characters: 27 of WeChat Pay's 32."""
    return f"YMT{now:%y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def new_key() -> str:
    """A payment form's key (one per page shown)."""
    return secrets.token_urlsafe(24)


async def _chosen(
    session: AsyncSession, patient_id: UUID, bill_ids: Sequence[UUID] | None
) -> list[Bill]:
    unpaid = await unpaid_bills(session, patient_id)
    if bill_ids is None:
        return unpaid
    wanted = set(bill_ids)
    chosen = [b for b in unpaid if b.id in wanted]
    if len(chosen) != len(wanted):
        raise Conflict(_("This bill was paid or changed a moment ago: look at your bills again."))
    return chosen


async def open_order(
    session: AsyncSession,
    settlement: Settlement,
    *,
    gateway: str,
    channel: str,
    patient_id: UUID,
    account_id: UUID | None,
    bill_ids: Sequence[UUID] | None,
    key: str,
    description: str,
    now: datetime,
    minutes: int,
) -> PayOrder:
    """The order for this attempt: the key's own, else an open one for exactly these bills at
    this amount, else a new one (not yet at the gateway). ``bill_ids`` None is every unpaid bill
    of the patient."""
    check_key(key)
    async with write_transaction(session):
        await lock_key(session, f"pay:{patient_id}")
        earlier = await session.scalar(select(PayOrder).where(PayOrder.key == key))
        if earlier is not None:
            if earlier.patient_id != patient_id:
                raise RuleError(_("This payment page is out of date: look at your bills again."))
            await session.commit()
            return earlier
        bills = await _chosen(session, patient_id, bill_ids)
        if not bills:
            raise RuleError(_("Nothing to pay."))
        if sum(b.total_cents for b in bills) > MAX_PAYMENT_CENTS:
            raise RuleError(_("Too much for one payment: pay the bills one by one."))
        schemes, years = await schemes_and_years(session, [patient_id], now.year)
        shares = settlement.estimate_from(
            bills, schemes[patient_id], years.get(patient_id, YearSoFar())
        )
        amount = sum(s.patient_cents for s in shares.values())
        if amount <= 0:
            raise RuleError(
                _(
                    "Insurance pays all of this: show your e-card at a cashier's window to settle it."
                )
            )
        ids = sorted(str(b.id) for b in bills)
        for order in await session.scalars(
            select(PayOrder).where(
                PayOrder.patient_id == patient_id,
                PayOrder.channel == channel,
                PayOrder.status.in_((CREATING, OPEN)),
                PayOrder.expires_at > now + timedelta(minutes=1),
                PayOrder.amount_cents == amount,
            )
        ):
            if sorted(str(i) for i in order.bill_ids) == ids:
                await session.commit()
                return order
        order = PayOrder(
            key=key,
            out_trade_no=new_out_trade_no(now),
            gateway=gateway,
            channel=channel,
            patient_id=patient_id,
            account_id=account_id,
            description=description[:120],
            total_cents=sum(s.total_cents for s in shares.values()),
            insurance_cents=sum(s.insurance_cents for s in shares.values()),
            amount_cents=amount,
            status=CREATING,
            made_at=now,
            expires_at=now + timedelta(minutes=minutes),
            lines=[
                PayOrderBill(
                    bill_id=b.id,
                    total_cents=shares[b.id].total_cents,
                    insurance_cents=shares[b.id].insurance_cents,
                )
                for b in bills
            ],
        )
        session.add(order)
        await session.flush()
    return order


async def put_at_gateway(
    session: AsyncSession, gateway: Gateway, order: PayOrder, *, client_ip: str
) -> PayOrder:
    """Make the order at the gateway (once: the gateway answers the same order to the same
    ``out_trade_no``) and keep where it is paid. Raises GatewayError when the gateway cannot."""
    if order.status != CREATING and order.pay_url:
        return order
    await session.commit()  # nothing held while the gateway answers
    pay_url = await gateway.create_order(
        channel=order.channel,
        out_trade_no=order.out_trade_no,
        description=order.description,
        amount_cents=order.amount_cents,
        expires_at=order.expires_at,
        client_ip=client_ip,
    )
    async with write_transaction(session):
        await session.execute(
            update(PayOrder)
            .where(PayOrder.id == order.id, PayOrder.status == CREATING)
            .values(status=OPEN, pay_url=pay_url[:512])
            .execution_options(synchronize_session=False)
        )
    return await _fresh(session, order.id)


async def _fresh(session: AsyncSession, order_id: UUID) -> PayOrder:
    order = await session.get(PayOrder, order_id, populate_existing=True)
    if order is None:
        raise NotFound(_("There is no such payment."))
    return order


async def order_of(session: AsyncSession, patient_ids: Sequence[UUID], order_id: UUID) -> PayOrder:
    """One of these patients' orders; NotFound for any other."""
    order = await session.get(PayOrder, order_id)
    if order is None or order.patient_id not in set(patient_ids):
        raise NotFound(_("There is no such payment."))
    return order


@dataclass(frozen=True)
class Captured:
    order: PayOrder
    again: bool = False
    """The order had been captured already (a duplicate report): nothing changed."""
    refund: Refund | None = None
    """An extra capture's refund, to send."""


def _check(order: PayOrder, paid: Transaction, gateway: Gateway) -> None:
    if paid.mchid != gateway.mchid or (paid.appid and paid.appid != gateway.appid):
        raise Mismatch("the transaction is not this merchant's")
    if paid.amount_total != order.amount_cents:
        raise Mismatch(
            f"the transaction's amount ({paid.amount_total} fen) is not the order's "
            f"({order.amount_cents} fen)"
        )


class _NowExtra(Exception):
    """The bills were unpaid but now come to another amount than the order: taken again as an
    extra capture (a fresh transaction: the settlement's count is undone)."""


async def capture(
    session: AsyncSession,
    settlement: Settlement,
    gateway: Gateway,
    paid: Transaction,
    *,
    now: datetime,
    by: str,
    nonce: str | None = None,
    event: tuple[str, str] = ("", ""),
) -> Captured:
    """The gateway says this order is paid: take it, once. ``by`` says who reported it (the
    notification, the return page, the follow-up) for the audit log; a notification's ``nonce``
    (and its event id and type) is kept in the same transaction, so the same signed message
    again is a replay (Replayed). Raises UnknownOrder or Mismatch, and changes nothing then.

    One write transaction: the nonce, the order (the patient's lock on PostgreSQL), its bills,
    the insurance count, the payment, the bills marked paid, the audit line."""
    try:
        return await _capture(session, settlement, gateway, paid, now, by, nonce, event, False)
    except _NowExtra:
        return await _capture(session, settlement, gateway, paid, now, by, nonce, event, True)


async def _capture(
    session: AsyncSession,
    settlement: Settlement,
    gateway: Gateway,
    paid: Transaction,
    now: datetime,
    by: str,
    nonce: str | None,
    event: tuple[str, str],
    extra: bool,
) -> Captured:
    try:
        async with write_transaction(session):
            if nonce is not None:
                session.add(
                    GatewayNotice(
                        nonce=nonce,
                        event_id=event[0],
                        event_type=event[1],
                        out_trade_no=paid.out_trade_no[:32],
                    )
                )
                try:
                    await session.flush()
                except IntegrityError as exc:
                    raise Replayed("this notification's nonce was used before") from exc
            order = await session.scalar(
                select(PayOrder).where(PayOrder.out_trade_no == paid.out_trade_no)
            )
            if order is None:
                raise UnknownOrder(f"no order {paid.out_trade_no!r}")
            _check(order, paid, gateway)
            if not paid.is_paid:
                return Captured(order)
            if session.get_bind().dialect.name == "postgresql":
                await lock_key(session, f"pay:{order.patient_id}")
                await session.refresh(order, attribute_names=["status"])
            if order.status == CAPTURED:
                return Captured(order, again=True)
            in_turn = list(
                await session.scalars(
                    select(Bill)
                    .where(Bill.id.in_(order.bill_ids))
                    .order_by(Bill.created_at, Bill.id)
                )
            )
            fits = (
                not extra
                and len(in_turn) == len(order.lines)
                and all(b.status == UNPAID for b in in_turn)
            )
            refund = None
            payment_id = None
            if fits:
                shares = await settlement.settle(session, order.patient_id, in_turn, now.year)
                if sum(s.patient_cents for s in shares.values()) != order.amount_cents:
                    raise _NowExtra()
                payment = Payment(
                    key=f"{order.gateway}:{order.out_trade_no}",
                    patient_id=order.patient_id,
                    method=WECHAT,
                    total_cents=sum(s.total_cents for s in shares.values()),
                    insurance_cents=sum(s.insurance_cents for s in shares.values()),
                    amount_cents=order.amount_cents,
                    taken_by="WeChat Pay",
                )
                session.add(payment)
                await session.flush()
                payment_id = payment.id
                if not await mark_bills_paid(session, in_turn, payment.id, shares):
                    raise Conflict("a bill changed under the patient's lock")
                outcome, detail = "captured", f"{order.amount_cents} fen, {len(in_turn)} bills"
            else:
                refund = Refund(
                    out_refund_no=f"R{order.out_trade_no}",
                    order_id=order.id,
                    patient_id=order.patient_id,
                    amount_cents=order.amount_cents,
                    reason=EXTRA,
                )
                session.add(refund)
                outcome = "extra"
                detail = (
                    f"{order.amount_cents} fen captured for bills already paid or changed: "
                    "refunding"
                )
            # One UPDATE of the order, flushed with the commit.
            order.status = CAPTURED
            order.transaction_id = (paid.transaction_id or "")[:32] or None
            order.payment_id = payment_id
            order.extra = refund is not None
            await record(
                session,
                GATEWAY_ACTOR,
                "payment.online",
                outcome,
                patient_id=order.patient_id,
                detail=f"{order.out_trade_no} by {by}: {detail}",
            )
    except IntegrityError:  # the same order's payment, captured by another process just now
        order = await session.scalar(
            select(PayOrder).where(PayOrder.out_trade_no == paid.out_trade_no)
        )
        assert order is not None
        await session.commit()
        return Captured(order, again=True)
    return Captured(order, refund=refund)


async def refresh(
    session: AsyncSession,
    settlement: Settlement,
    gateway: Gateway,
    order: PayOrder,
    *,
    now: datetime,
    by: str,
) -> Captured:
    """Ask the gateway about an order still open (the return page, the follow-up): capture it
    when paid, close it when the gateway closed it or it expired unpaid."""
    if order.status not in (CREATING, OPEN):
        return Captured(order)
    await session.commit()
    try:
        paid = await gateway.query(order.out_trade_no)
    except GatewayError as exc:
        if exc.status == 404 and order.expires_at <= now:  # never made at the gateway
            return Captured(await _close(session, order.id))
        raise
    if paid.is_paid:
        return await capture(session, settlement, gateway, paid, now=now, by=by)
    if paid.is_closed or order.expires_at <= now:
        return Captured(await _close(session, order.id))
    await _checked(session, order.id, now)
    return Captured(await _fresh(session, order.id))


async def _checked(session: AsyncSession, order_id: UUID, now: datetime) -> None:
    async with write_transaction(session):
        await session.execute(
            update(PayOrder)
            .where(PayOrder.id == order_id)
            .values(checked_at=now)
            .execution_options(synchronize_session=False)
        )


async def _close(session: AsyncSession, order_id: UUID) -> PayOrder:
    async with write_transaction(session):
        await session.execute(
            update(PayOrder)
            .where(PayOrder.id == order_id, PayOrder.status.in_((CREATING, OPEN)))
            .values(status=CLOSED)
            .execution_options(synchronize_session=False)
        )
    return await _fresh(session, order_id)


async def note_notice(session: AsyncSession, nonce: str, event_id: str, event_type: str) -> None:
    """Keep a verified notification's nonce; the same nonce again is a replay (Replayed)."""
    try:
        async with write_transaction(session):
            session.add(GatewayNotice(nonce=nonce, event_id=event_id, event_type=event_type))
            await session.flush()
    except IntegrityError as exc:
        raise Replayed("this notification's nonce was used before") from exc


async def refund_reported(session: AsyncSession, state: RefundState, now: datetime) -> Refund:
    """The gateway says how a refund ended (its notification, or our question)."""
    refund = await session.scalar(select(Refund).where(Refund.out_refund_no == state.out_refund_no))
    await session.commit()
    if refund is None:
        raise UnknownOrder(f"no refund {state.out_refund_no!r}")
    if state.amount != refund.amount_cents:
        raise Mismatch("the refund's amount is not ours")
    status = {"SUCCESS": REFUNDED_OK, "CLOSED": REFUND_FAILED, "ABNORMAL": REFUND_FAILED}.get(
        state.status, PROCESSING
    )
    async with write_transaction(session):
        await session.execute(
            update(Refund)
            .where(Refund.id == refund.id, Refund.status.in_((REQUESTED, PROCESSING)))
            .values(
                status=status,
                refund_id=state.refund_id,
                finished_at=now if status != PROCESSING else None,
            )
            .execution_options(synchronize_session=False)
        )
    fresh = await session.get(Refund, refund.id, populate_existing=True)
    assert fresh is not None
    return fresh


async def send_refund(
    session: AsyncSession, gateway: Gateway, refund_id: UUID, now: datetime
) -> Refund:
    """Ask the gateway for a requested refund (again, if an earlier ask got no answer: the same
    ``out_refund_no`` is the same refund there)."""
    refund = await session.get(Refund, refund_id, populate_existing=True)
    if refund is None:
        raise NotFound("no such refund")
    order = await session.get(PayOrder, refund.order_id)
    await session.commit()
    assert order is not None
    if refund.status not in (REQUESTED, PROCESSING):
        return refund
    state = await gateway.refund(
        out_refund_no=refund.out_refund_no,
        out_trade_no=order.out_trade_no,
        amount_cents=refund.amount_cents,
        total_cents=order.amount_cents,
        reason={EXTRA: "重复支付退款"}.get(refund.reason, "退款"),
    )
    return await refund_reported(session, state, now)


async def refunds_of(session: AsyncSession, patient_ids: Sequence[UUID]) -> list[Refund]:
    if not patient_ids:
        return []
    return list(
        await session.scalars(
            select(Refund)
            .where(Refund.patient_id.in_(list(patient_ids)))
            .order_by(Refund.created_at.desc())
            .limit(100)
        )
    )


async def bills_of_order(session: AsyncSession, order: PayOrder) -> list[Bill]:
    return list(
        await session.scalars(
            select(Bill).where(Bill.id.in_(order.bill_ids)).order_by(Bill.created_at, Bill.id)
        )
    )


async def refunds_of_order(session: AsyncSession, order: PayOrder) -> list[Refund]:
    return list(
        await session.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.created_at)
        )
    )


async def refunds_of_bill(session: AsyncSession, bill_id: UUID) -> list[Refund]:
    """What went back of one bill (a cancelled visit's fee, voided lines)."""
    return list(
        await session.scalars(
            select(Refund).where(Refund.bill_id == bill_id).order_by(Refund.created_at)
        )
    )


async def amount_due(
    session: AsyncSession, settlement: Settlement, patient_id: UUID, year: int
) -> tuple[list[Bill], int]:
    """A patient's unpaid bills and what the patient pays of them (the insurance estimate
    taken off): what a kiosk offers to pay. Reads only."""
    bills = await unpaid_bills(session, patient_id)
    if not bills:
        return [], 0
    schemes, years = await schemes_and_years(session, [patient_id], year)
    shares = settlement.estimate_from(
        bills, schemes[patient_id], years.get(patient_id, YearSoFar())
    )
    return bills, sum(s.patient_cents for s in shares.values())


RECHECK_SECONDS = 2
"""A page watching an order (the return page, the kiosk) asks the gateway at most this often."""
KIOSK_CHANNEL = NATIVE
"""A kiosk shows the order's QR code for the patient's phone (WeChat Pay's Native payment)."""


def is_open(order: PayOrder) -> bool:
    """Not yet paid, and still payable (or not yet known to be closed)."""
    return order.status in (CREATING, OPEN)


async def receipt_code_of(session: AsyncSession, payment_id: UUID | None) -> str | None:
    """A payment's receipt verification code (printed on a kiosk's slip)."""
    if payment_id is None:
        return None
    return await session.scalar(select(Payment.receipt_code).where(Payment.id == payment_id))


async def refunds_of_payment(session: AsyncSession, payment_id: UUID) -> list[Refund]:
    """What went back of one payment taken through the gateway (shown on its receipt)."""
    return list(
        await session.scalars(
            select(Refund)
            .join(PayOrder, PayOrder.id == Refund.order_id)
            .where(PayOrder.payment_id == payment_id)
            .order_by(Refund.created_at)
        )
    )
