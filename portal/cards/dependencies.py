"""How card services reach handlers."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cards.services import CardService, ScanService


async def provide_card_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> CardService:
    return CardService(db_session, request.app.state.ecard_keyring, request.app.state.clock)


async def provide_scan_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> ScanService:
    return ScanService(db_session, request.app.state.ecard_keyring, request.app.state.clock)
