"""My appointments: upcoming and past per family member, detail, cancel, calendar file, and the
waitlist offers to accept or decline."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from portal.accounts.services import PatientService
from portal.booking.calendar import appointment_ics
from portal.booking.controllers._shared import (
    enforce_rate_limits,
    fragment_for,
    patient_dependencies,
)
from portal.booking.services import BookingService, as_uuid, cutoff_words
from portal.booking.waitlist import WaitlistService
from portal.web.auth import requires_patient_login
from portal.web.forms import FormState, RuleError

guards = [requires_patient_login]


async def _list_context(
    account_id: UUID,
    patient: str | None,
    booking: BookingService,
    waitlist: WaitlistService,
    patients: PatientService,
) -> dict[str, Any]:
    family = await patients.family_of(account_id)
    chosen = next((m for m in family if str(m.id) == patient), None) if patient else None
    if patient and chosen is None:
        await patients.member_of(account_id, patient)  # 404 for someone else's patient
    patient_id = chosen.id if chosen else None
    lists = await booking.appointments_of(account_id, patient_id)
    entries = await waitlist.entries_of(account_id, patient_id)
    positions = {entry.id: await waitlist.position_of(entry) for entry in entries}
    return {
        "family": family,
        "chosen": chosen,
        "upcoming": lists.upcoming,
        "past": lists.past,
        "entries": entries,
        "positions": positions,
    }


@get("/appointments", name="appointments", guards=guards, dependencies=patient_dependencies)
async def appointments_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    booking_service: NamedDependency[BookingService],
    waitlist_service: NamedDependency[WaitlistService],
    patient_service: NamedDependency[PatientService],
    patient: FromQuery[str | None] = None,
    joined: FromQuery[bool] = False,
) -> Template:
    """Offers first, then upcoming and past appointments, for everyone or one family member."""
    context = await _list_context(
        account_id, patient, booking_service, waitlist_service, patient_service
    )
    context["joined"] = joined
    context["form"] = FormState()
    if fragment_for(request, "appointment-lists"):
        return Template("appointments/_lists.html", context=context)
    return Template("appointments/list.html", context=context)


def _detail_context(appointment: Any, booking: BookingService) -> dict[str, Any]:
    return {
        "appointment": appointment,
        "can_cancel": booking.can_cancel(appointment),
        "cancel_deadline": booking.cancel_deadline(appointment),
        "arrive_by": booking.arrive_by(appointment),
        "cutoff": cutoff_words(booking.settings.cancel_cutoff_minutes),
    }


@get(
    "/appointments/{appointment_id:str}",
    name="appointment",
    guards=guards,
    dependencies=patient_dependencies,
)
async def appointment_page(
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[str],
    booking_service: NamedDependency[BookingService],
) -> Template:
    appointment = await booking_service.appointment_of(account_id, appointment_id)
    context = _detail_context(appointment, booking_service)
    context["bill"] = await booking_service.bill_of(appointment)
    return Template("appointments/detail.html", context=context)


@get(
    "/appointments/{appointment_id:str}/booked",
    name="appointment-booked",
    guards=guards,
    dependencies=patient_dependencies,
)
async def booked_page(
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[str],
    booking_service: NamedDependency[BookingService],
) -> Template:
    """The result page: booked, and what to do next."""
    appointment = await booking_service.appointment_of(account_id, appointment_id)
    context = _detail_context(appointment, booking_service)
    context["bill"] = await booking_service.bill_of(appointment)
    return Template("appointments/booked.html", context=context)


@get(
    "/appointments/{appointment_id:str}/cancel",
    name="appointment-cancel-confirm",
    guards=guards,
    dependencies=patient_dependencies,
)
async def cancel_page(
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[str],
    booking_service: NamedDependency[BookingService],
) -> Template:
    """Ask once, and explain the cut-off (or that it has passed)."""
    appointment = await booking_service.appointment_of(account_id, appointment_id)
    context = _detail_context(appointment, booking_service)
    context["form"] = FormState()
    return Template("appointments/cancel.html", context=context)


@post(
    "/appointments/{appointment_id:str}/cancel",
    name="appointment-cancel",
    guards=guards,
    dependencies=patient_dependencies,
)
async def cancel(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[str],
    booking_service: NamedDependency[BookingService],
) -> Template | Redirect:
    await enforce_rate_limits(request, account_id)
    appointment = await booking_service.appointment_of(account_id, appointment_id)
    try:
        await booking_service.cancel_appointment(
            account_id=account_id, appointment_id=appointment.id
        )
    except RuleError as exc:
        context = _detail_context(appointment, booking_service)
        context["form"] = FormState().add(exc)
        return Template("appointments/cancel.html", context=context, status_code=400)
    return Redirect(f"/appointments/{appointment.id}?cancelled=1", status_code=303)


@get(
    "/appointments/{appointment_id:str}/calendar.ics",
    name="appointment-calendar",
    guards=guards,
    dependencies=patient_dependencies,
)
async def calendar_file(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[str],
    booking_service: NamedDependency[BookingService],
) -> Response[bytes]:
    """The appointment as a calendar event (.ics), with a reminder."""
    appointment = await booking_service.appointment_of(account_id, appointment_id)
    body = appointment_ics(
        appointment,
        now=request.app.state.clock.now(),
        arrive_by=booking_service.arrive_by(appointment),
        zone=request.app.state.clock.zone,
        hospital=request.app.state.settings.app.hospital_name,
    )
    filename = f"appointment-{appointment.visit_day:%Y%m%d}.ics"
    return Response(
        body.encode(),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@post(
    "/appointments/offers/{entry_id:str}/accept",
    name="offer-accept",
    guards=guards,
    dependencies=patient_dependencies,
)
async def accept_offer(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    entry_id: FromPath[str],
    booking_service: NamedDependency[BookingService],
    waitlist_service: NamedDependency[WaitlistService],
    patient_service: NamedDependency[PatientService],
) -> Template | Redirect:
    """Take the place a waitlist offer holds."""
    await enforce_rate_limits(request, account_id)
    try:
        appointment = await waitlist_service.accept_offer(
            account_id=account_id, entry_id=as_uuid(entry_id)
        )
    except RuleError as exc:
        context = await _list_context(
            account_id, None, booking_service, waitlist_service, patient_service
        )
        context.update(joined=False, form=FormState().add(exc))
        return Template("appointments/list.html", context=context, status_code=400)
    return Redirect(f"/appointments/{appointment.id}/booked", status_code=303)


@post(
    "/appointments/offers/{entry_id:str}/decline",
    name="offer-decline",
    guards=guards,
    dependencies=patient_dependencies,
)
async def decline_offer(
    account_id: NamedDependency[UUID],
    entry_id: FromPath[str],
    waitlist_service: NamedDependency[WaitlistService],
) -> Redirect:
    await waitlist_service.decline_offer(account_id=account_id, entry_id=as_uuid(entry_id))
    return Redirect("/appointments", status_code=303)


@post(
    "/appointments/waitlist/{entry_id:str}/leave",
    name="waitlist-leave",
    guards=guards,
    dependencies=patient_dependencies,
)
async def leave_waitlist(
    account_id: NamedDependency[UUID],
    entry_id: FromPath[str],
    waitlist_service: NamedDependency[WaitlistService],
) -> Redirect:
    await waitlist_service.leave_waitlist(account_id=account_id, entry_id=as_uuid(entry_id))
    return Redirect("/appointments", status_code=303)


route_handlers = [
    appointments_page,
    appointment_page,
    booked_page,
    cancel_page,
    cancel,
    calendar_file,
    accept_offer,
    decline_offer,
    leave_waitlist,
]
