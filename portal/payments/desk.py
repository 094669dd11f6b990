"""The cashier's desk (收费处): after an accepted scan of the live code, the patient's unpaid bills
with the insurance share, and a form to record cash or card; ``POST /staff/cashier/payments``
records it."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cards.services import ScanResult
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.touchpoints import Touchpoint
from portal.payments.insurance import (
    Settlement,
    YearSoFar,
    schemes_and_years,
    settlement_from,
)
from portal.payments.window import AmountChanged, take_payment, unpaid_bills
from portal.staff.auth import StaffUser, provide_staff, requires_staff, staff_of
from portal.web.dependencies import clock_of


def settlement_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Settlement:
    """The app's settlement (the development rules; a real one plugs in here by settings)."""
    return settlement_from(connection.app.state)


async def _bills_context(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    patient_id: UUID,
    chosen: set[UUID] | None = None,
) -> dict[str, Any]:
    """The patient's unpaid bills, the ``chosen`` ones (all, unless said) ticked, split in the
    order they would be paid, and what they come to: the form sends that amount back, and the
    payment is taken only if the bills still come to it."""
    bills = await unpaid_bills(session, patient_id)
    ticked = [b for b in bills if chosen is None or b.id in chosen]
    now = clock_of(request).now()
    schemes, years = await schemes_and_years(session, [patient_id], now.year)
    scheme = schemes[patient_id]
    shares = settlement_of(request).estimate_from(
        ticked, scheme, years.get(patient_id, YearSoFar())
    )
    await session.commit()  # a read: ends the transaction
    return {
        "patient_id": patient_id,
        "bills": bills,
        "ticked": {b.id for b in ticked},
        "shares": shares,
        "scheme": scheme,
        "due_cents": sum(s.patient_cents for s in shares.values()),
        "key": secrets.token_urlsafe(24),
    }


async def bills_on_scan(
    request: Request[Any, Any, Any], session: AsyncSession, result: ScanResult, staff: StaffUser
) -> dict[str, Any]:
    """What the cashier sees after an accepted scan: the unpaid bills, ready to take."""
    assert result.patient_id is not None
    return {
        "taken": None,
        "error": None,
        **await _bills_context(request, session, result.patient_id),
    }


async def requires_cashier(connection: ASGIConnection[Any, Any, Any, Any], handler: Any) -> None:
    """Guard: a staff member who works at the cashier's desk."""
    await requires_staff(connection, handler)
    staff = staff_of(connection)
    if staff is None or not staff.may_use(Touchpoint.CASHIER):
        raise NotAllowed()


@post(
    "/staff/cashier/payments",
    name="cashier-take-payment",
    guards=[requires_cashier],
    dependencies={"staff": Provide(provide_staff)},
)
async def take_at_window(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """Record cash or card for the chosen bills; answers the desk's panel with what was taken
    (or why not) and what is still unpaid."""
    form = await request.form()
    try:
        patient_id = UUID(str(form.get("patient", "")))
        bill_ids = [UUID(str(b)) for b in form.getall("bills")] if "bills" in form else []
        expected = int(str(form.get("expected", "")))
    except ValueError:
        return Template("staff/desk/_cashier_stale.html", status_code=400)
    address = request.client.host if request.client else None
    taken, error, status, chosen = None, None, 200, None
    try:
        taken = await take_payment(
            db_session,
            settlement_of(request),
            patient_id=patient_id,
            bill_ids=bill_ids,
            method=str(form.get("method", "")),
            key=str(form.get("key", "")),
            expected_cents=expected,
            actor=staff.actor(address),
            now=clock_of(request).now(),
        )
    except AmountChanged as exc:
        error, status, chosen = exc.message, 409, set(exc.chosen)
    except Conflict as exc:
        error, status = exc.message, 409
    except DomainError as exc:
        error, status = exc.message, 422
    desk = {
        "taken": taken,
        "error": error,
        **await _bills_context(request, db_session, patient_id, chosen),
    }
    return Template("staff/desk/_cashier.html", context={"desk": desk}, status_code=status)


route_handlers = [take_at_window]
