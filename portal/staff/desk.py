"""What a desk does with an accepted scan, beyond showing the patient.

Features register an action per touchpoint (the queue checks patients in at triage); the scan
station runs it right after an accepted scan, so a nurse can scan card after card without
touching the mouse, and shows its result through ``staff/desk/_<touchpoint>.html``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cards.services import ScanResult
from portal.touchpoints import Touchpoint

DeskAction = Callable[
    [Request[Any, Any, Any], AsyncSession, ScanResult, Any], Awaitable[dict[str, Any]]
]
"""(request, db session, the accepted scan, the staff user) → context for the desk's template."""

desk_actions: dict[Touchpoint, DeskAction] = {}


def register(touchpoint: Touchpoint, action: DeskAction) -> None:
    desk_actions[touchpoint] = action


async def run_desk_action(
    request: Request[Any, Any, Any], session: AsyncSession, result: ScanResult, staff: Any
) -> dict[str, Any] | None:
    action = desk_actions.get(result.touchpoint)
    if action is None or not result.accepted:
        return None
    return await action(request, session, result, staff)
