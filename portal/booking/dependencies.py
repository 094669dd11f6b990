"""How booking services reach handlers (and how a test swaps them)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.booking.services import BookingService
from portal.booking.timetable import TimetableService
from portal.booking.waitlist import WaitlistService


async def provide_booking_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> BookingService:
    state = request.app.state
    return BookingService(
        db_session,
        settings=state.settings.booking,
        clock=state.clock,
        sms_sender=state.sms_sender,
    )


async def provide_waitlist_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> WaitlistService:
    state = request.app.state
    return WaitlistService(
        db_session,
        settings=state.settings.booking,
        clock=state.clock,
        sms_sender=state.sms_sender,
    )


async def provide_timetable_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> TimetableService:
    state = request.app.state
    return TimetableService(db_session, settings=state.settings.booking, clock=state.clock)
