"""What a desk does with an accepted scan, beyond showing the patient.

Features declare an action per touchpoint (the queue checks patients in at triage); the scan
station runs it right after an accepted scan, so a nurse can scan card after card without
touching the mouse, and shows its result through ``staff/desk/_<touchpoint>.html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cards.services import ScanResult
from portal.core.touchpoints import Touchpoint
from portal.staff.auth import StaffUser
from portal.web.feature import DeskAction


async def run_desk_action(
    actions: Mapping[Touchpoint, DeskAction],
    request: Request[Any, Any, Any],
    session: AsyncSession,
    result: ScanResult,
    staff: StaffUser,
) -> dict[str, Any] | None:
    """The action another feature declared for this touchpoint (``Feature.desk_actions``)."""
    action = actions.get(result.touchpoint)
    if action is None or not result.accepted:
        return None
    context: dict[str, Any] = await action(request, session, result, staff)
    return context
