"""What the booking pages share: dependencies, rate limits, the current patient, fragments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.exceptions import TooManyRequestsException

from portal.accounts.dependencies import provide_patient_service
from portal.accounts.services import FamilyMember
from portal.booking.dependencies import (
    basics,
    provide_appointment_service,
    provide_booking_service,
    provide_timetable_service,
    provide_waitlist_service,
)
from portal.booking.models import Slot
from portal.booking.timetable import SessionChoice, TimetableService
from portal.core.errors import NotFound
from portal.settings import BookingSettings
from portal.web.auth import provide_account_id
from portal.web.ratelimit import RateLimiter
from portal.web.shell import shell_of


@dataclass(frozen=True)
class BookingLimits:
    """Booking actions per account and per network address, per minute (against scripts)."""

    limiter: RateLimiter
    settings: BookingSettings
    address: str

    async def enforce(self, account_id: UUID) -> None:
        """Count one booking action; 429 once either limit is passed."""
        for key, limit in (
            (f"booking:account:{account_id}", self.settings.requests_per_account_per_minute),
            (f"booking:address:{self.address}", self.settings.requests_per_address_per_minute),
        ):
            if not await self.limiter.hit(key, limit, 60):
                raise TooManyRequestsException()


async def provide_booking_limits(
    request: Request[Any, Any, Any], booking_settings: NamedDependency[BookingSettings]
) -> BookingLimits:
    return BookingLimits(
        limiter=request.app.state.rate_limiter,
        settings=booking_settings,
        address=request.client.host if request.client else "unknown",
    )


dependencies = {
    **basics,
    "timetable_service": Provide(provide_timetable_service),
    "booking_service": Provide(provide_booking_service),
    "appointment_service": Provide(provide_appointment_service),
    "waitlist_service": Provide(provide_waitlist_service),
    "patient_service": Provide(provide_patient_service),
    "booking_limits": Provide(provide_booking_limits),
}
patient_dependencies = {**dependencies, "account_id": Provide(provide_account_id)}


def uuid_or_not_found(text: str) -> UUID:
    """An id a form or a link's query sent back (a slot, a patient, a session). One that is not
    an id at all names nothing we have: ``NotFound``, as for an id we do not know."""
    try:
        return UUID(text)
    except ValueError as exc:
        raise NotFound() from exc


def fragment_for(request: Request[Any, Any, Any], target: str) -> bool:
    """True when htmx asked for just one part of the page (not a boosted whole-page load)."""
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.boosted and htmx.target == target


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
