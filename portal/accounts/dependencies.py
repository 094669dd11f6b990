"""How account services reach handlers (and how a test swaps them)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.codes import OneTimeCodes
from portal.accounts.services import AccountService, LoginService, PatientService
from portal.core.clock import Clock
from portal.core.events import EventBus
from portal.messaging.dependencies import sender_of
from portal.settings import Settings
from portal.web.dependencies import read_cache_of


async def provide_patient_service(
    request: ASGIConnection[Any, Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    events: NamedDependency[EventBus],
) -> PatientService:
    return PatientService(db_session, events, read_cache_of(request))


async def provide_account_service(
    request: ASGIConnection[Any, Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> AccountService:
    return AccountService(db_session, read_cache_of(request))


async def provide_login_service(
    request: ASGIConnection[Any, Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
) -> LoginService:
    return LoginService(
        db_session, settings.login, settings.app.secret_key, sender_of(request), clock
    )


async def provide_codes(
    request: ASGIConnection[Any, Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
) -> OneTimeCodes:
    return OneTimeCodes(
        db_session, settings.login, settings.app.secret_key, sender_of(request), clock
    )
