"""Paying on the phone: one tap pays a family member's unpaid bills (or one bill) on the
gateway's page; the return page says what happened, asking the gateway itself while the
notification is late; and the gateway's notifications (``/api/v1/payments/notify/wechatpay``).
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.services import PatientService
from portal.audit.services import record
from portal.core.actor import Actor
from portal.core.errors import NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.db.transactions import begin_write
from portal.payments import checkout
from portal.payments.connect import gateway_of
from portal.payments.controllers.pages import dependencies, guards
from portal.payments.desk import settlement_of
from portal.payments.gateway import (
    GatewayError,
    NotificationRefused,
    refund_from,
    transaction_from,
    with_return,
)
from portal.payments.models import CREATING, H5, OPEN, PayOrder
from portal.payments.next_steps import next_steps
from portal.web.dependencies import clock_of, db_sessions_of, rate_limiter_of, settings_of

logger = logging.getLogger("portal.payments")
MAX_NOTIFICATION_BYTES = 64 * 1024


def _unavailable() -> ServiceUnavailableException:
    return ServiceUnavailableException(
        _(
            "Paying on the phone is not available just now. Try again in a few minutes, or pay at a cashier's window."
        )
    )


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


@post("/bills/pay", name="bills-pay", guards=guards, dependencies=dependencies)
async def pay(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Redirect:
    """Pay a family member's unpaid bills (or the one ``bill``): the order is made (or found:
    the same form twice is the same order) and the browser goes to the gateway's page, which
    comes back to the order's page."""
    form = await request.form()
    patient_id = _uuid(form.get("patient"))
    if patient_id is None:
        raise NotFound(_("There is no such patient."))
    member = await patient_service.member_of(account_id, patient_id)
    bill = form.get("bill")
    bill_ids = None
    if bill:
        bill_id = _uuid(bill)
        if bill_id is None:
            raise NotFound(_("There is no such bill."))
        bill_ids = [bill_id]
    settings = settings_of(request)
    gateway = await gateway_of(request.app)
    order = await checkout.open_order(
        db_session,
        settlement_of(request),
        gateway=gateway.name,
        channel=H5,
        patient_id=member.id,
        account_id=account_id,
        bill_ids=bill_ids,
        key=str(form.get("key", "")),
        description=_("Outpatient bills, %(hospital)s", hospital=settings.receipts.hospital_name),
        now=clock_of(request).now(),
        minutes=settings.payments.order_minutes,
    )
    back = request.url_for("bills-order", order_id=order.id)
    if order.status not in (CREATING, OPEN):
        return Redirect(back, status_code=303)
    try:
        order = await checkout.put_at_gateway(
            db_session,
            gateway,
            order,
            client_ip=request.client.host if request.client else "127.0.0.1",
        )
    except GatewayError as exc:
        logger.warning("the gateway did not take order %s: %s", order.out_trade_no, exc)
        raise _unavailable() from exc
    assert order.pay_url is not None
    return Redirect(with_return(order.pay_url, back), status_code=303)


async def _looked_at(
    request: Request[Any, Any, Any], session: AsyncSession, order: PayOrder
) -> PayOrder:
    """Ask the gateway about an order still open, at most every few seconds."""
    now = clock_of(request).now()
    if order.status not in (CREATING, OPEN):
        return order
    if (
        order.checked_at is not None
        and (now - order.checked_at).total_seconds() < checkout.RECHECK_SECONDS
    ):
        return order
    # A session of its own: a capture that rolls back (another report took it a moment ago)
    # must not expire what the page has already read in the request's session.
    async with db_sessions_of(request)() as own:
        try:
            gateway = await gateway_of(request.app)
            done = await checkout.refresh(
                own, settlement_of(request), gateway, order, now=now, by="the return page"
            )
        except (GatewayError, RuleError) as exc:  # the page says "waiting"; asked again soon
            logger.warning("could not ask the gateway about %s: %s", order.out_trade_no, exc)
            return order
        if done.refund is not None:
            await _send_refund(request, own, done.refund.id)
        return done.order


async def _send_refund(
    request: Request[Any, Any, Any], session: AsyncSession, refund_id: UUID
) -> None:
    """Ask for a refund now; if the gateway does not answer, the follow-up asks again."""
    try:
        await checkout.send_refund(
            session, await gateway_of(request.app), refund_id, clock_of(request).now()
        )
    except (GatewayError, RuleError) as exc:
        logger.warning("refund %s not sent yet: %s", refund_id, exc)


@get("/bills/orders/{order_id:uuid}", name="bills-order", guards=guards, dependencies=dependencies)
async def order_page(
    request: HTMXRequest,
    account_id: NamedDependency[UUID],
    order_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """Where the gateway's page comes back to: paid (with the receipt and what to do next),
    still waiting (asked again every few seconds), or not paid."""
    family = await patient_service.family_on_page(account_id)
    # Asking the gateway may write (a capture): whose order it is, read fresh, not kept.
    order = await checkout.order_of(
        db_session, await patient_service.patient_ids_of(account_id), order_id
    )
    order = await _looked_at(request, db_session, order)
    bills = await checkout.bills_of_order(db_session, order)
    refunds = await checkout.refunds_of_order(db_session, order)
    await db_session.commit()
    member = next((m for m in family if m.id == order.patient_id), None)
    if member is None:
        raise NotFound(_("There is no such payment."))
    context = {
        "order": order,
        "member": member,
        "bills": bills,
        "refunds": refunds,
        "steps": next_steps(bills) if order.payment_id else [],
    }
    if request.htmx:
        return Template("payments/_order_status.html", context=context)
    return Template("payments/order.html", context=context)


def _fail(status: int) -> Response[dict[str, str]]:
    """WeChat Pay's answer when a notification is not taken (it will send it again). Why is in
    the log and the audit trail, not in the answer to whoever sent it."""
    message = "signature refused" if status == 401 else "notification refused"
    return Response({"code": "FAIL", "message": message}, status_code=status)


REFUSALS_AUDITED_PER_MINUTE = 60
"""Per sending address: beyond this, refusals are still refused and logged, but not each written
to the audit trail (a flood of junk must not become a flood of writes)."""


async def _refused(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    gateway_name: str,
    status: int,
    reason: str,
) -> Response[dict[str, str]]:
    """Record a refused notification (in its own transaction) and answer it."""
    await session.rollback()
    address = request.client.host if request.client else "unknown"
    logger.warning("payment notification refused (%d): %s", status, reason)
    if not await rate_limiter_of(request).hit(
        f"notify-refused:{address}", REFUSALS_AUDITED_PER_MINUTE, 60
    ):
        return _fail(status)
    actor = Actor(
        kind="system",
        id=gateway_name[:40],
        name="payment notification",
        address=request.client.host if request.client else None,
    )
    await begin_write(session)
    try:
        await record(
            session, actor, "payment.notification", "refused", detail=f"{status}: {reason}"[:500]
        )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return _fail(status)


@post(
    "/api/v1/payments/notify/{gateway_name:str}",
    name="payments-notify",
    include_in_schema=False,
    status_code=200,
    request_max_body_size=MAX_NOTIFICATION_BYTES,
)
async def notify(
    request: Request[Any, Any, Any],
    gateway_name: FromPath[str],
    db_session: NamedDependency[AsyncSession],
) -> Response[Any]:
    """A payment or refund notification: its signature verified before anything is read, its
    resource decrypted, its nonce new, its order ours and its amount the order's — else refused
    (401/400), audited, nothing changed. A notification seen before answers 204 and changes
    nothing (the gateway sends each one until it gets a 2xx)."""
    gateway = await gateway_of(request.app)
    if gateway_name != gateway.name:
        raise NotFound()
    body = await request.body()
    if len(body) > MAX_NOTIFICATION_BYTES:
        return await _refused(
            request, db_session, gateway_name, 400, "the notification is too large"
        )
    now = clock_of(request).now()
    try:
        notice = gateway.read_notification(request.headers, body)
        if notice.event_type.startswith("TRANSACTION."):
            done = await checkout.capture(
                db_session,
                settlement_of(request),
                gateway,
                transaction_from(notice.resource),
                now=now,
                by="notification " + notice.event_id,
                nonce=notice.nonce,
                event=(notice.event_id, notice.event_type),
            )
            if done.refund is not None:
                await _send_refund(request, db_session, done.refund.id)
        elif notice.event_type.startswith("REFUND."):
            # Checked and applied first (a refusal leaves nothing behind; applying is
            # idempotent), then the nonce kept: the same message again is a replay.
            await checkout.refund_reported(db_session, refund_from(notice.resource), now)
            await checkout.note_notice(db_session, notice.nonce, notice.event_id, notice.event_type)
        else:
            raise NotificationRefused(400, f"unknown event type {notice.event_type!r}")
    except NotificationRefused as exc:
        return await _refused(request, db_session, gateway_name, exc.status, exc.reason)
    except checkout.Replayed as exc:
        return await _refused(request, db_session, gateway_name, 401, str(exc))
    except (checkout.UnknownOrder, checkout.Mismatch, GatewayError) as exc:
        return await _refused(request, db_session, gateway_name, 400, str(exc))
    return Response(None, status_code=204)


route_handlers = [pay, order_page, notify]
