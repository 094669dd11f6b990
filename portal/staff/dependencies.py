"""How staff services reach handlers (and how a test swaps them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.touchpoints import Touchpoint
from portal.staff.services import StaffService
from portal.web.feature import DeskAction


async def provide_staff_service(db_session: NamedDependency[AsyncSession]) -> StaffService:
    return StaffService(db_session)


def provide_desk_actions(
    request: ASGIConnection[Any, Any, Any, Any],
) -> Mapping[Touchpoint, DeskAction]:
    """What each desk does after an accepted scan, as the features declared it (app.py)."""
    return cast(Mapping[Touchpoint, DeskAction], request.app.state.desk_actions)
