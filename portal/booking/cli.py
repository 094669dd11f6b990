"""What the command line runs for booking (``python -m portal import-timetable`` and friends)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.booking.imports import ImportRefused, import_timetable
from portal.booking.noshows import NoShowService
from portal.booking.schemas import ImportResult, decode_timetable
from portal.booking.waitlist import Housekeeping, WaitlistService
from portal.core.clock import Clock
from portal.db.engine import create_engine
from portal.messaging.services import build_sender
from portal.settings import Settings, get_settings

T = TypeVar("T")


async def _with_session(
    work: Callable[[AsyncSession, Settings, Clock], Awaitable[T]], settings: Settings | None = None
) -> T:
    settings = settings or get_settings()
    engine = create_engine(settings.db)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            return await work(session, settings, Clock(settings.i18n.zone))
    finally:
        await engine.dispose()


async def import_file(path: str | Path, settings: Settings | None = None) -> ImportResult:
    """Import a timetable file; raises ``ValueError`` listing the problems when refused."""
    payload = decode_timetable(await asyncio.to_thread(Path(path).read_bytes))

    async def work(session: AsyncSession, settings: Settings, clock: Clock) -> ImportResult:
        try:
            return await import_timetable(session, payload, clock.zone)
        except ImportRefused as exc:
            raise ValueError(
                "the timetable was not imported:\n  " + "\n  ".join(map(str, exc.problems))
            ) from exc

    return await _with_session(work, settings)


async def record_no_shows(settings: Settings | None = None) -> int:
    async def work(session: AsyncSession, settings: Settings, clock: Clock) -> int:
        return await NoShowService(session, clock=clock).record_no_shows()

    return await _with_session(work, settings)


async def release_places(settings: Settings | None = None) -> Housekeeping:
    async def work(session: AsyncSession, settings: Settings, clock: Clock) -> Housekeeping:
        return await WaitlistService(
            session,
            settings=settings.booking,
            clock=clock,
            sms_sender=build_sender(
                settings.login, async_sessionmaker(session.bind, expire_on_commit=False)
            ),
        ).release_due_slots()

    return await _with_session(work, settings)
