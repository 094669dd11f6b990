"""Paying at the lobby kiosk: after a card is scanned, the kiosk offers to pay that patient's
unpaid bills; it shows the gateway's QR code (a Native order) for the patient's phone to scan,
watches the order until it is paid, and prints a slip.

The kiosk keeps nothing of the patient: the scan's answer carries a pass, signed with the
secret key and good for this kiosk, this patient and a few minutes, which the pay page and its
status carry on. Everything is audited under the kiosk's name, as the scan is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

import ecard
from portal.core.clock import Clock
from portal.core.errors import NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.kiosk.bills import read_pass
from portal.kiosk.controllers import NO_STORE, Kiosk, _not_a_kiosk, kiosk_dependencies
from portal.payments import checkout
from portal.payments.connect import gateway_of
from portal.payments.gateway import GatewayError
from portal.payments.insurance import settlement_from
from portal.payments.next_steps import next_steps
from portal.settings import Settings

PAY_RESET_SECONDS = 180
"""The pay screen waits longer than an answer: the patient is paying on the phone."""


def _context(
    kiosk: Kiosk, order: Any, value: str, request: Request[Any, Any, Any], bills: list[Any]
) -> dict[str, Any]:
    code_url = urljoin(str(request.base_url), order.pay_url or "")
    return {
        "kiosk": kiosk,
        "order": order,
        "pass": value,
        "bills": bills,
        "steps": next_steps(bills) if order.payment_id else [],
        "qr_svg": ecard.qr_svg(code_url, label=_("Payment QR code")) if order.pay_url else "",
        "reset_seconds": PAY_RESET_SECONDS,
        "receipt_code": None,
    }


@post("/kiosk/pay", name="kiosk-pay", dependencies=kiosk_dependencies)
async def start_paying(
    request: Request[Any, Any, Any],
    kiosk: NamedDependency[Kiosk | None],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """The patient chose to pay: an order for all their unpaid bills, its QR code on the screen."""
    if kiosk is None:
        return _not_a_kiosk()
    form = await request.form()
    value = str(form.get("pass", ""))
    patient_id = read_pass(settings.app.secret_key, kiosk, value)
    gateway = await gateway_of(request.app)
    order = await checkout.open_order(
        db_session,
        settlement_from(request.app.state),
        gateway=gateway.name,
        channel=checkout.KIOSK_CHANNEL,
        patient_id=patient_id,
        account_id=None,
        bill_ids=None,
        key=str(form.get("key", "")),
        description=_("Outpatient bills, %(hospital)s", hospital=settings.receipts.hospital_name),
        now=clock.now(),
        minutes=settings.payments.order_minutes,
    )
    if checkout.is_open(order):
        try:
            order = await checkout.put_at_gateway(
                db_session,
                gateway,
                order,
                client_ip=request.client.host if request.client else "127.0.0.1",
            )
        except GatewayError as exc:
            raise ServiceUnavailableException(
                _(
                    "Paying at the kiosk is not available just now. Please pay at a cashier's window."
                )
            ) from exc
    bills = await checkout.bills_of_order(db_session, order)
    await db_session.commit()
    return Template(
        "kiosk/pay.html", context=_context(kiosk, order, value, request, bills), headers=NO_STORE
    )


@get("/kiosk/pay/{order_id:uuid}", name="kiosk-pay-status", dependencies=kiosk_dependencies)
async def paying(
    request: HTMXRequest,
    order_id: FromPath[UUID],
    kiosk: NamedDependency[Kiosk | None],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
    db_session: NamedDependency[AsyncSession],
    value: FromQuery[str] = "",
) -> Template:
    """The kiosk watches the order (asking the gateway itself): paid, waiting, or not paid."""
    if kiosk is None:
        return _not_a_kiosk()
    patient_id = read_pass(settings.app.secret_key, kiosk, value)
    order = await checkout.order_of(db_session, [patient_id], order_id)
    if order.channel != checkout.KIOSK_CHANNEL:
        raise NotFound(_("Please scan your card again."))
    recently = (
        order.checked_at is not None
        and (clock.now() - order.checked_at).total_seconds() < checkout.RECHECK_SECONDS
    )
    if checkout.is_open(order) and not recently:
        try:
            # A session of its own: a capture that rolls back must not expire the page's reading.
            async with request.app.state.db_sessions() as own:
                done = await checkout.refresh(
                    own,
                    settlement_from(request.app.state),
                    await gateway_of(request.app),
                    order,
                    now=clock.now(),
                    by=f"kiosk {kiosk.name}",
                )
            order = done.order
        except (GatewayError, RuleError):
            pass  # still waiting; asked again in a moment
    bills = await checkout.bills_of_order(db_session, order)
    receipt_code = await checkout.receipt_code_of(db_session, order.payment_id)
    await db_session.commit()
    context = _context(kiosk, order, value, request, bills)
    context["receipt_code"] = receipt_code
    context["hospital"] = settings.app.hospital_name or settings.receipts.hospital_name
    context["now"] = clock.local(clock.now())
    template = "kiosk/_pay_status.html" if request.htmx else "kiosk/pay.html"
    return Template(template, context=context, headers=NO_STORE)


route_handlers = [start_paying, paying]
