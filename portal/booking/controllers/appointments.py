"""My appointments: upcoming and past per family member, detail, cancel, calendar file, and the
waitlist offers to accept or decline."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.accounts.services import PatientService
from portal.booking.appointments import AppointmentService
from portal.booking.calendar import appointment_ics
from portal.booking.controllers._shared import BookingLimits, fragment_for, patient_dependencies
from portal.booking.labels import cutoff_words
from portal.booking.models import Appointment
from portal.booking.services import BookingService
from portal.booking.waitlist import WaitlistService
from portal.core.clock import Clock
from portal.core.errors import RuleError
from portal.settings import Settings
from portal.web.auth import requires_patient_login
from portal.web.forms import FormState

guards = [requires_patient_login]


async def _list_context(
    account_id: UUID,
    patient: str | None,
    appointments: AppointmentService,
    waitlist: WaitlistService,
    patients: PatientService,
) -> dict[str, Any]:
    family = await patients.family_on_page(account_id)
    chosen = next((m for m in family if str(m.id) == patient), None) if patient else None
    if patient and chosen is None:
        await patients.member_of(account_id, patient)  # 404 for someone else's patient
    patient_id = chosen.id if chosen else None
    lists = await appointments.appointments_on_page(account_id, patient_id)
    entries, positions = await waitlist.entries_on_page(account_id, patient_id)
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
    request: HTMXRequest,
    account_id: NamedDependency[UUID],
    appointment_service: NamedDependency[AppointmentService],
    waitlist_service: NamedDependency[WaitlistService],
    patient_service: NamedDependency[PatientService],
    patient: FromQuery[str | None] = None,
    joined: FromQuery[bool] = False,
) -> Template:
    """Offers first, then upcoming and past appointments, for everyone or one family member."""
    context = await _list_context(
        account_id, patient, appointment_service, waitlist_service, patient_service
    )
    context["joined"] = joined
    context["form"] = FormState()
    if fragment_for(request, "appointment-lists"):
        return Template("appointments/_lists.html", context=context)
    return Template("appointments/list.html", context=context)


def _detail_context(appointment: Appointment, appointments: AppointmentService) -> dict[str, Any]:
    return {
        "appointment": appointment,
        "can_cancel": appointments.can_cancel(appointment),
        "cancel_deadline": appointments.cancel_deadline(appointment),
        "arrive_by": appointments.arrive_by(appointment),
        "cutoff": cutoff_words(appointments.settings.cancel_cutoff_minutes),
    }


@get(
    "/appointments/{appointment_id:uuid}",
    name="appointment",
    guards=guards,
    dependencies=patient_dependencies,
)
async def appointment_page(
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[UUID],
    appointment_service: NamedDependency[AppointmentService],
) -> Template:
    appointment = await appointment_service.appointment_of(account_id, appointment_id)
    context = _detail_context(appointment, appointment_service)
    context["bill"] = await appointment_service.bill_of(appointment)
    return Template("appointments/detail.html", context=context)


@get(
    "/appointments/{appointment_id:uuid}/booked",
    name="appointment-booked",
    guards=guards,
    dependencies=patient_dependencies,
)
async def booked_page(
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[UUID],
    appointment_service: NamedDependency[AppointmentService],
) -> Template:
    """The result page: booked, and what to do next."""
    appointment = await appointment_service.appointment_of(account_id, appointment_id)
    context = _detail_context(appointment, appointment_service)
    context["bill"] = await appointment_service.bill_of(appointment)
    return Template("appointments/booked.html", context=context)


@get(
    "/appointments/{appointment_id:uuid}/cancel",
    name="appointment-cancel-confirm",
    guards=guards,
    dependencies=patient_dependencies,
)
async def cancel_page(
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[UUID],
    appointment_service: NamedDependency[AppointmentService],
) -> Template:
    """Ask once, and explain the cut-off (or that it has passed)."""
    appointment = await appointment_service.appointment_of(account_id, appointment_id)
    context = _detail_context(appointment, appointment_service)
    context["form"] = FormState()
    return Template("appointments/cancel.html", context=context)


@post(
    "/appointments/{appointment_id:uuid}/cancel",
    name="appointment-cancel",
    guards=guards,
    dependencies=patient_dependencies,
)
async def cancel(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[UUID],
    booking_service: NamedDependency[BookingService],
    appointment_service: NamedDependency[AppointmentService],
    booking_limits: NamedDependency[BookingLimits],
) -> Template | Redirect:
    await booking_limits.enforce(account_id)
    appointment = await appointment_service.appointment_of(account_id, appointment_id)
    try:
        await booking_service.cancel_appointment(
            account_id=account_id, appointment_id=appointment.id
        )
    except RuleError as exc:
        context = _detail_context(appointment, appointment_service)
        context["form"] = FormState().add(exc)
        return Template("appointments/cancel.html", context=context, status_code=400)
    return Redirect(
        request.app.route_reverse("appointment", appointment_id=appointment.id) + "?cancelled=1",
        status_code=303,
    )


@get(
    "/appointments/{appointment_id:uuid}/calendar.ics",
    name="appointment-calendar",
    guards=guards,
    dependencies=patient_dependencies,
)
async def calendar_file(
    account_id: NamedDependency[UUID],
    appointment_id: FromPath[UUID],
    appointment_service: NamedDependency[AppointmentService],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> Response[bytes]:
    """The appointment as a calendar event (.ics), with a reminder."""
    appointment = await appointment_service.appointment_of(account_id, appointment_id)
    body = appointment_ics(
        appointment,
        now=clock.now(),
        arrive_by=appointment_service.arrive_by(appointment),
        zone=clock.zone,
        hospital=settings.app.hospital_name,
    )
    filename = f"appointment-{appointment.visit_day:%Y%m%d}.ics"
    return Response(
        body.encode(),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@post(
    "/appointments/offers/{entry_id:uuid}/accept",
    name="offer-accept",
    guards=guards,
    dependencies=patient_dependencies,
)
async def accept_offer(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    entry_id: FromPath[UUID],
    appointment_service: NamedDependency[AppointmentService],
    waitlist_service: NamedDependency[WaitlistService],
    patient_service: NamedDependency[PatientService],
    booking_limits: NamedDependency[BookingLimits],
) -> Template | Redirect:
    """Take the place a waitlist offer holds."""
    await booking_limits.enforce(account_id)
    try:
        appointment = await waitlist_service.accept_offer(account_id=account_id, entry_id=entry_id)
    except RuleError as exc:
        context = await _list_context(
            account_id, None, appointment_service, waitlist_service, patient_service
        )
        context.update(joined=False, form=FormState().add(exc))
        return Template("appointments/list.html", context=context, status_code=400)
    return Redirect(
        request.app.route_reverse("appointment-booked", appointment_id=appointment.id),
        status_code=303,
    )


@post(
    "/appointments/offers/{entry_id:uuid}/decline",
    name="offer-decline",
    guards=guards,
    dependencies=patient_dependencies,
)
async def decline_offer(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    entry_id: FromPath[UUID],
    waitlist_service: NamedDependency[WaitlistService],
) -> Redirect:
    await waitlist_service.decline_offer(account_id=account_id, entry_id=entry_id)
    return Redirect(request.app.route_reverse("appointments"), status_code=303)


@post(
    "/appointments/waitlist/{entry_id:uuid}/leave",
    name="waitlist-leave",
    guards=guards,
    dependencies=patient_dependencies,
)
async def leave_waitlist(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    entry_id: FromPath[UUID],
    waitlist_service: NamedDependency[WaitlistService],
) -> Redirect:
    await waitlist_service.leave_waitlist(account_id=account_id, entry_id=entry_id)
    return Redirect(request.app.route_reverse("appointments"), status_code=303)


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
