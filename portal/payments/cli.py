"""What the command line runs for payments (``python -m portal import-bills FILE.json``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.core.actor import Actor
from portal.db.engine import create_engine
from portal.payments.imports import import_bills
from portal.payments.schemas import BillsResult, decode_bills
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
