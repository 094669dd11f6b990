"""Payments' follow-up while the app serves: every few seconds, ask the gateway about orders
still open after a while (their notification may be lost: this is the reconciliation that
settles them), and send the refunds asked for (again, until the gateway takes them).

Every process may run it: a capture is taken once whoever reports it, and a refund has one
number at the gateway however often it is asked for.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from litestar import Litestar
from sqlalchemy import select

from portal.payments import checkout
from portal.payments.connect import gateway_of
from portal.payments.gateway import GatewayError
from portal.payments.insurance import settlement_from
from portal.payments.models import CREATING, OPEN, PROCESSING, REQUESTED, PayOrder, Refund
from portal.web.periodic import every

logger = logging.getLogger("portal.payments")


@dataclass(frozen=True)
class FollowUp:
    asked: int = 0
    captured: int = 0
    closed: int = 0
    refunds_sent: int = 0


async def follow_up(app: Litestar, *, older_than_seconds: int | None = None) -> FollowUp:
    """One round. ``older_than_seconds`` (default: the setting) is how long an order is left to
    its notification before the gateway is asked."""
    state = app.state
    settings = state.settings.payments
    wait = settings.settle_after_seconds if older_than_seconds is None else older_than_seconds
    now = state.clock.now()
    gateway = await gateway_of(app)
    settlement = settlement_from(state)
    asked = captured = closed = sent = 0
    async with state.db_sessions() as session:
        stale = list(
            await session.scalars(
                select(PayOrder)
                .where(
                    PayOrder.status.in_((CREATING, OPEN)),
                    PayOrder.made_at <= now - timedelta(seconds=wait),
                )
                .order_by(PayOrder.made_at)
                .limit(100)
            )
        )
        for order in stale:
            try:
                done = await checkout.refresh(
                    session, settlement, gateway, order, now=now, by="the follow-up"
                )
            except (GatewayError, checkout.Mismatch) as exc:
                logger.warning("follow-up of %s failed: %s", order.out_trade_no, exc)
                continue
            asked += 1
            captured += done.order.payment_id is not None and not done.again
            closed += done.order.status == "closed"
        waiting = list(
            await session.scalars(
                select(Refund.id)
                .where(Refund.status.in_((REQUESTED, PROCESSING)))
                .order_by(Refund.created_at)
                .limit(100)
            )
        )
        await session.commit()
        for refund_id in waiting:
            try:
                await checkout.send_refund(session, gateway, refund_id, now)
                sent += 1
            except GatewayError as exc:
                logger.warning("refund %s not sent: %s", refund_id, exc)
    return FollowUp(asked, int(captured), int(closed), sent)


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Follow up every PORTAL_PAY_TASK_SECONDS (0: never; tests call ``follow_up``)."""

    async def follow_up_round() -> None:
        done = await follow_up(app)
        if done.asked or done.refunds_sent:
            logger.info("payments follow-up: %s", done)

    async with every(
        app.state.settings.payments.task_seconds,
        follow_up_round,
        name="payments-follow-up",
        logger=logger,
    ):
        yield
