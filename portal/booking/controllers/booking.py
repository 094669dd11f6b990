"""Booking a time: confirm, book (or hear it is full, with the nearest free times), join the
waitlist. Every step is a plain page or form; htmx only smooths it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from portal.accounts.services import PatientService
from portal.booking import rules
from portal.booking.checks import SlotFull
from portal.booking.controllers._shared import (
    BookingLimits,
    chosen_patient,
    nearest_when_full,
    patient_dependencies,
    uuid_or_not_found,
)
from portal.booking.models import Slot
from portal.booking.services import BookingService
from portal.booking.timetable import TimetableService
from portal.booking.waitlist import WaitlistService
from portal.core.errors import RuleError
from portal.core.i18n import gettext as _
from portal.settings import BookingSettings
from portal.web.auth import requires_patient_login
from portal.web.forms import FormState, form_text


async def _confirm_page(
    request: Request[Any, Any, Any],
    slot: Slot,
    timetable: TimetableService,
    patients: PatientService,
    account_id: UUID,
    form: FormState,
    status: int = 200,
) -> Template:
    family = await patients.family_on_page(account_id)
    settings = timetable.settings
    return Template(
        "booking/confirm.html",
        context={
            "slot": slot,
            "schedule": slot.schedule,
            "family": family,
            "chosen_patient": chosen_patient(request, family, form.value("patient") or None),
            "form": form,
            "cancel_deadline": rules.cancel_deadline(slot.starts_at, settings),
            "is_open": timetable.is_open(slot.schedule),
            "opens_at": timetable.release_moment(slot.schedule.day),
        },
        status_code=status,
    )


async def _full_page(
    request: Request[Any, Any, Any],
    slot_id: UUID,
    timetable: TimetableService,
    patients: PatientService,
    account_id: UUID,
    patient_id: str | None,
    status: int,
) -> Template:
    """The same clear answer for a slot that was full and a race lost a moment ago."""
    full = await timetable.full_slot(slot_id)
    # The family is only needed to choose who waits; a surge's losers mostly get free times.
    family = await patients.family_on_page(account_id) if full.session_full else []
    return Template(
        "booking/full.html",
        context={
            "slot": full.slot,
            "schedule": full.slot.schedule,
            "nearest": full.nearest,
            "session_full": full.session_full,
            "family": family,
            "chosen_patient": chosen_patient(request, family, patient_id),
            "hold_minutes": timetable.settings.waitlist_hold_minutes,
            "form": FormState(),
        },
        status_code=status,
    )


@get(
    "/booking/confirm",
    name="booking-confirm",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def confirm_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    timetable_service: NamedDependency[TimetableService],
    patient_service: NamedDependency[PatientService],
    slot: FromQuery[str],
    patient: FromQuery[str | None] = None,
) -> Template:
    """Who, which doctor, where, when and the fee, with one button to book."""
    chosen = await timetable_service.slot(uuid_or_not_found(slot), fresh=True)
    if chosen.free == 0:
        return await _full_page(
            request, chosen.id, timetable_service, patient_service, account_id, patient, 200
        )
    form = FormState(values={"patient": patient or ""})
    return await _confirm_page(
        request, chosen, timetable_service, patient_service, account_id, form
    )


@post(
    "/booking/appointments",
    name="booking-book",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def book(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    booking_service: NamedDependency[BookingService],
    timetable_service: NamedDependency[TimetableService],
    patient_service: NamedDependency[PatientService],
    booking_limits: NamedDependency[BookingLimits],
) -> Template | Redirect:
    """Book the slot: the result page, the full page (409) or the confirmation again (400)."""
    data = await request.form()
    slot_id = uuid_or_not_found(form_text(data, "slot", 40))
    form = FormState(values={"patient": form_text(data, "patient", 40)})
    await booking_limits.enforce(account_id)
    try:
        if not form.value("patient"):
            raise RuleError(_("Please choose who will see the doctor."), "patient")
        appointment = await booking_service.book_slot(
            account_id=account_id,
            patient_id=uuid_or_not_found(form.value("patient")),
            slot_id=slot_id,
        )
    except SlotFull:
        return await _full_page(
            request,
            slot_id,
            timetable_service,
            patient_service,
            account_id,
            form.value("patient"),
            409,
        )
    except RuleError as exc:
        slot = await timetable_service.slot(slot_id, fresh=True)
        return await _confirm_page(
            request, slot, timetable_service, patient_service, account_id, form.add(exc), 400
        )
    return Redirect(
        request.app.route_reverse("appointment-booked", appointment_id=appointment.id),
        status_code=303,
    )


@post(
    "/booking/waitlist",
    name="booking-waitlist-join",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def join_waitlist(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    waitlist_service: NamedDependency[WaitlistService],
    timetable_service: NamedDependency[TimetableService],
    patient_service: NamedDependency[PatientService],
    booking_limits: NamedDependency[BookingLimits],
    booking_settings: NamedDependency[BookingSettings],
) -> Template | Redirect:
    """Wait for a place in a full session (候补)."""
    data = await request.form()
    schedule_id = uuid_or_not_found(form_text(data, "session", 40))
    form = FormState(values={"patient": form_text(data, "patient", 40)})
    await booking_limits.enforce(account_id)
    try:
        if not form.value("patient"):
            raise RuleError(_("Please choose who will see the doctor."), "patient")
        await waitlist_service.join_waitlist(
            account_id=account_id,
            patient_id=uuid_or_not_found(form.value("patient")),
            schedule_id=schedule_id,
        )
    except RuleError as exc:
        choice = await timetable_service.session_of(schedule_id)
        family = await patient_service.family_of(account_id)
        return Template(
            "booking/session.html",
            context={
                "choice": choice,
                "is_open": timetable_service.is_open(choice.schedule),
                "family": family,
                "chosen_patient": chosen_patient(request, family, form.value("patient")),
                "hold_minutes": booking_settings.waitlist_hold_minutes,
                "opens_at": timetable_service.release_moment(choice.schedule.day),
                "nearest": await nearest_when_full(timetable_service, choice),
                "form": form.add(exc),
            },
            status_code=400,
        )
    return Redirect(request.app.route_reverse("appointments") + "?joined=1", status_code=303)


route_handlers = [confirm_page, book, join_waitlist]
