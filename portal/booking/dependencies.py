"""How booking's services, settings and clock reach handlers (and how a test swaps them).

Handlers ask for what they need by name (``booking_service``, ``clock``, ``booking_settings``…)
and never read the application's state themselves.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from portal.booking.appointments import AppointmentService
from portal.booking.services import BookingService
from portal.booking.timetable import TimetableService
from portal.booking.waitlist import WaitlistService
from portal.core.clock import Clock
from portal.settings import BookingSettings, Settings
from portal.web.dependencies import read_cache_of


async def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state.settings


async def provide_booking_settings(settings: NamedDependency[Settings]) -> BookingSettings:
    return settings.booking


async def provide_clock(request: Request[Any, Any, Any]) -> Clock:
    return request.app.state.clock


async def provide_booking_service(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    booking_settings: NamedDependency[BookingSettings],
    clock: NamedDependency[Clock],
) -> BookingService:
    return BookingService(
        db_session,
        settings=booking_settings,
        clock=clock,
        sms_sender=request.app.state.sms_sender,
        full_slots=request.app.state.get("full_slot_readings"),
    )


async def provide_appointment_service(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    booking_settings: NamedDependency[BookingSettings],
    clock: NamedDependency[Clock],
) -> AppointmentService:
    return AppointmentService(
        db_session, settings=booking_settings, clock=clock, cache=read_cache_of(request)
    )


async def provide_waitlist_service(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    booking_settings: NamedDependency[BookingSettings],
    clock: NamedDependency[Clock],
) -> WaitlistService:
    return WaitlistService(
        db_session,
        settings=booking_settings,
        clock=clock,
        sms_sender=request.app.state.sms_sender,
        cache=read_cache_of(request),
    )


async def provide_timetable_service(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    booking_settings: NamedDependency[BookingSettings],
    clock: NamedDependency[Clock],
) -> TimetableService:
    return TimetableService(
        db_session,
        settings=booking_settings,
        clock=clock,
        full_slots=request.app.state.get("full_slot_readings"),
        cache=read_cache_of(request),
    )


basics = {
    "settings": Provide(provide_settings),
    "booking_settings": Provide(provide_booking_settings),
    "clock": Provide(provide_clock),
}
"""Settings and clock: what every service provider here builds on."""
timetable_dependencies = {**basics, "timetable_service": Provide(provide_timetable_service)}
"""For a handler outside booking that reads the timetable (the kiosk's "where to go")."""
