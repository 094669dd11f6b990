"""How account services reach handlers (and how a test swaps them)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.codes import OneTimeCodes
from portal.accounts.services import AccountService, LoginService, PatientService


async def provide_patient_service(db_session: NamedDependency[AsyncSession]) -> PatientService:
    return PatientService(session=db_session)


async def provide_account_service(db_session: NamedDependency[AsyncSession]) -> AccountService:
    return AccountService(session=db_session)


async def provide_login_service(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> LoginService:
    state = request.app.state
    return LoginService(
        db_session,
        state.settings.login,
        state.settings.app.secret_key,
        state.sms_sender,
        state.clock,
    )


async def provide_codes(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> OneTimeCodes:
    state = request.app.state
    return OneTimeCodes(
        db_session,
        state.settings.login,
        state.settings.app.secret_key,
        state.sms_sender,
        state.clock,
    )
