"""How card services reach handlers."""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

import ecard
from portal.cards.services import CardService, ScanService
from portal.core.clock import Clock
from portal.web.dependencies import read_cache_of


def keyring_of(connection: ASGIConnection[Any, Any, Any, Any]) -> ecard.Keyring:
    """The keys that sign live codes (app.py builds them from settings once)."""
    return cast(ecard.Keyring, connection.app.state.ecard_keyring)


async def provide_card_service(
    request: ASGIConnection[Any, Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
) -> CardService:
    return CardService(db_session, keyring_of(request), clock, read_cache_of(request))


async def provide_scan_service(
    request: ASGIConnection[Any, Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
) -> ScanService:
    return ScanService(db_session, keyring_of(request), clock)
