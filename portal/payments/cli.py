"""What the command line runs for payments: ``import-bills FILE.json``, ``settle-payments`` and
``payments-report [--day YYYY-MM-DD]``."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.app import create_app
from portal.core.actor import Actor
from portal.db.engine import create_engine
from portal.payments.connect import gateway_of
from portal.payments.imports import import_bills
from portal.payments.reconcile import DayReport, day_report
from portal.payments.schemas import BillsResult, decode_bills
from portal.payments.tasks import FollowUp, follow_up
from portal.settings import Settings, get_settings


async def import_file(path: str | Path, settings: Settings | None = None) -> BillsResult:
    """Import a bills file; raises ``BillsRefused`` (changing nothing) when refused."""
    payload = decode_bills(await asyncio.to_thread(Path(path).read_bytes))
    settings = settings or get_settings()
    engine = create_engine(settings.db)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            actor = Actor(kind="system", id=None, name="command line")
            return await import_bills(session, payload, actor)
    finally:
        await engine.dispose()


async def settle_payments(settings: Settings | None = None) -> FollowUp:
    """One round of the payments follow-up, by hand: open orders asked about, refunds sent."""
    app = create_app(settings or get_settings())
    async with app.lifespan():
        return await follow_up(app)


async def report_day(day: date, settings: Settings | None = None) -> DayReport:
    """The day's reconciliation against the gateway."""
    app = create_app(settings or get_settings())
    async with app.lifespan():
        state = app.state
        gateway = await gateway_of(app)
        async with state.db_sessions() as session:
            return await day_report(session, gateway, day, state.clock.zone)
