"""What the booking pages share: dependencies, rate limits, the current patient, fragments."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import Provide
from litestar.exceptions import TooManyRequestsException

from portal.accounts.dependencies import provide_patient_service
from portal.accounts.services import FamilyMember
from portal.booking.dependencies import (
    provide_booking_service,
    provide_timetable_service,
    provide_waitlist_service,
)
from portal.booking.models import Slot
from portal.booking.timetable import SessionChoice, TimetableService
from portal.web.auth import provide_account_id
from portal.web.shell import shell_of

dependencies = {
    "timetable_service": Provide(provide_timetable_service),
    "booking_service": Provide(provide_booking_service),
    "waitlist_service": Provide(provide_waitlist_service),
    "patient_service": Provide(provide_patient_service),
}
patient_dependencies = {**dependencies, "account_id": Provide(provide_account_id)}


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def enforce_rate_limits(request: Request[Any, Any, Any], account_id: UUID) -> None:
    """Booking actions per account and per network address, per minute (against scripts)."""
    settings = request.app.state.settings.booking
    limiter = request.app.state.rate_limiter
    for key, limit in (
        (f"booking:account:{account_id}", settings.requests_per_account_per_minute),
        (f"booking:address:{client_address(request)}", settings.requests_per_address_per_minute),
    ):
        if not await limiter.hit(key, limit, 60):
            raise TooManyRequestsException()


def fragment_for(request: Request[Any, Any, Any], target: str) -> bool:
    """True when htmx asked for just one part of the page (not a boosted whole-page load)."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-target") == target
    )


def chosen_patient(
    request: Request[Any, Any, Any], family: list[FamilyMember], wanted: str | None = None
) -> str | None:
    """Who a booking is for unless the patient picks someone else: the one asked for, else the
    current patient, else the first family member."""
    ids = [str(member.id) for member in family]
    for candidate in (wanted, shell_of(request).patient_id):
        if candidate and candidate in ids:
            return candidate
    return ids[0] if ids else None


async def nearest_when_full(timetable: TimetableService, choice: SessionChoice) -> list[Slot]:
    """For a session with no place left: the free times nearest to its start."""
    if choice.free > 0 or not choice.slots:
        return []
    return await timetable.nearest_free(choice.slots[0])
