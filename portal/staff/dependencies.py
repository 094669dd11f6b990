"""How staff services reach handlers."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.staff.services import StaffService


async def provide_staff_service(db_session: NamedDependency[AsyncSession]) -> StaffService:
    return StaffService(session=db_session)
