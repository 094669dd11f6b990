"""How the payments services reach handlers."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.payments.services import BillService


async def provide_bill_service(db_session: NamedDependency[AsyncSession]) -> BillService:
    return BillService(db_session)
