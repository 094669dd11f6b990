"""Finding a doctor and a time: departments, search, doctors seen before, days and sessions."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from portal.accounts.services import PatientService
from portal.booking.controllers._shared import (
    chosen_patient,
    dependencies,
    fragment_for,
    nearest_when_full,
)
from portal.booking.timetable import DayChoice, TimetableService
from portal.settings import BookingSettings
from portal.web.forms import FormState, query_text
from portal.web.shell import shell_of


def _pick_day(choices: list[DayChoice], wanted: str | None) -> date:
    """The day asked for when it is one of the buttons; otherwise the first with places."""
    if wanted:
        try:
            asked = date.fromisoformat(wanted)
        except ValueError:
            asked = None
        if asked is not None and any(choice.day == asked for choice in choices):
            return asked
    return TimetableService.default_day(choices)


async def _day_context(
    timetable: TimetableService,
    day_param: str | None,
    *,
    base_url: str,
    department_id: UUID | None = None,
    doctor_id: UUID | None = None,
) -> dict[str, Any]:
    choices = await timetable.days(department_id=department_id, doctor_id=doctor_id)
    day = _pick_day(choices, day_param)
    sessions = await timetable.sessions_on(day, department_id=department_id, doctor_id=doctor_id)
    return {
        "choices": choices,
        "day": day,
        "chosen": next(c for c in choices if c.day == day),
        "sessions": sessions,
        "base_url": base_url,
        "show_doctor": doctor_id is None,
    }


@get("/booking", name="booking", dependencies=dependencies)
async def booking_home(
    request: Request[Any, Any, Any], timetable_service: NamedDependency[TimetableService]
) -> Template:
    """Start here: search, the doctors the family saw before, and every department."""
    shell = shell_of(request)
    seen = await timetable_service.doctors_seen(UUID(shell.account_id)) if shell.logged_in else []
    return Template(
        "booking/index.html",
        context={"departments": await timetable_service.departments(), "seen": seen, "q": ""},
    )


@get("/booking/search", name="booking-search", dependencies=dependencies)
async def search(
    request: HTMXRequest,
    timetable_service: NamedDependency[TimetableService],
    q: FromQuery[str] = "",
) -> Template:
    """By doctor's name, department, illness or symptom (高血压 finds the heart doctors)."""
    q = query_text(q[:200], "q")
    departments, doctors = await timetable_service.search(q)
    context = {"q": q.strip()[:40], "departments": departments, "doctors": doctors}
    if fragment_for(request, "search-results"):
        return Template("booking/_results.html", context=context)
    return Template("booking/search.html", context=context)


@get(
    "/booking/departments/{department_id:uuid}",
    name="booking-department",
    dependencies=dependencies,
)
async def department_page(
    request: HTMXRequest,
    department_id: FromPath[UUID],
    timetable_service: NamedDependency[TimetableService],
    day: FromQuery[str | None] = None,
) -> Template:
    """A department's days (large buttons) and, for the chosen day, its doctors' sessions."""
    department = await timetable_service.department(department_id)
    context = await _day_context(
        timetable_service,
        day,
        base_url=request.app.route_reverse("booking-department", department_id=department.id),
        department_id=department.id,
    )
    context["department"] = department
    if fragment_for(request, "day-panel"):
        return Template("booking/_day.html", context=context)
    return Template("booking/department.html", context=context)


@get("/booking/doctors/{doctor_id:uuid}", name="booking-doctor", dependencies=dependencies)
async def doctor_page(
    request: HTMXRequest,
    doctor_id: FromPath[UUID],
    timetable_service: NamedDependency[TimetableService],
    day: FromQuery[str | None] = None,
) -> Template:
    """A doctor: what they treat, and their sessions day by day."""
    doctor = await timetable_service.doctor(doctor_id)
    context = await _day_context(
        timetable_service,
        day,
        base_url=request.app.route_reverse("booking-doctor", doctor_id=doctor.id),
        doctor_id=doctor.id,
    )
    context["doctor"] = doctor
    if fragment_for(request, "day-panel"):
        return Template("booking/_day.html", context=context)
    return Template("booking/doctor.html", context=context)


@get("/booking/sessions/{schedule_id:uuid}", name="booking-session", dependencies=dependencies)
async def session_page(
    request: Request[Any, Any, Any],
    schedule_id: FromPath[UUID],
    timetable_service: NamedDependency[TimetableService],
    patient_service: NamedDependency[PatientService],
    booking_settings: NamedDependency[BookingSettings],
) -> Template:
    """Every time slot of a session with places left; the waitlist when all are taken."""
    choice = await timetable_service.session_on_page(schedule_id)
    shell = shell_of(request)
    family = await patient_service.family_on_page(UUID(shell.account_id)) if shell.logged_in else []
    return Template(
        "booking/session.html",
        context={
            "choice": choice,
            "is_open": timetable_service.is_open(choice.schedule),
            "family": family,
            "chosen_patient": chosen_patient(request, family),
            "hold_minutes": booking_settings.waitlist_hold_minutes,
            "opens_at": timetable_service.release_moment(choice.schedule.day),
            "nearest": await nearest_when_full(timetable_service, choice),
            "form": FormState(),
        },
    )


route_handlers = [booking_home, search, department_page, doctor_page, session_page]
