"""Demo API clients (development only; the seed is refused in production and ``serve`` refuses
to listen beyond this machine while they are active): the hospital's own system (HIS), which
sends timetables, bills and results, and a scanner that may verify cards at every desk."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from portal.api.services import IMPORT_SCOPES, SCAN_ANY, create_client
from portal.core.events import EventBus

DEMO_HIS_TOKEN = "ymt_demo_his_token"  # noqa: S105 - documented development token
DEMO_SCANNER_TOKEN = "ymt_demo_scanner_token"  # noqa: S105 - documented development token
PUBLISHED_TOKENS = (DEMO_HIS_TOKEN, DEMO_SCANNER_TOKEN)


async def seed_api_clients(session: AsyncSession, _today: date, _events: EventBus) -> None:
    await create_client(session, "Demo HIS", IMPORT_SCOPES, token=DEMO_HIS_TOKEN)
    await create_client(session, "Demo scanner", [SCAN_ANY], token=DEMO_SCANNER_TOKEN)
