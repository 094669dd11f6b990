"""At triage and registration an accepted scan checks the patient in at once."""

from __future__ import annotations

from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cards.services import ScanResult
from portal.queue.services import QueueService
from portal.staff.desk import register
from portal.touchpoints import Touchpoint
from portal.web.forms import RuleError


async def check_in_on_scan(
    request: Request[Any, Any, Any], session: AsyncSession, result: ScanResult, staff: Any
) -> dict[str, Any]:
    """Check the scanned patient in; the desk shows the ticket, or why not, in plain words."""
    state = request.app.state
    service = QueueService(session, state.settings.queue, state.clock, state.get("channels"))
    assert result.patient_id is not None
    address = request.client.host if request.client else None
    try:
        checkin = await service.check_in(
            result.patient_id, staff.actor(address), result.touchpoint.value
        )
    except RuleError as exc:
        return {"error": exc.message, "checkin": None}
    return {"error": None, "checkin": checkin, "age_limit": state.settings.queue.elder_priority_age}


for desk in (Touchpoint.TRIAGE, Touchpoint.REGISTRATION):
    register(desk, check_in_on_scan)
