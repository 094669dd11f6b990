"""At triage and registration an accepted scan checks the patient in at once (declared in
portal/queue/feature.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cards.services import ScanResult
from portal.core.errors import RuleError
from portal.queue.dependencies import checkin_service, provide_queue_announcer
from portal.staff.auth import StaffUser
from portal.web.dependencies import clock_of, settings_of


async def check_in_on_scan(
    request: Request[Any, Any, Any], session: AsyncSession, result: ScanResult, staff: StaffUser
) -> dict[str, Any]:
    """Check the scanned patient in; the desk shows the ticket, or why not, in plain words."""
    settings = settings_of(request)
    service = checkin_service(
        session, settings, clock_of(request), provide_queue_announcer(request)
    )
    assert result.patient_id is not None
    address = request.client.host if request.client else None
    try:
        checkin = await service.check_in(
            result.patient_id, staff.actor(address), result.touchpoint.value
        )
    except RuleError as exc:
        return {"error": exc.message, "checkin": None}
    return {"error": None, "checkin": checkin, "age_limit": settings.queue.elder_priority_age}
