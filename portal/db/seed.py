"""Running the demo data: each feature's seeder in the order the features are listed, once, in
one transaction. Which seeders exist is the app's business (``python -m portal seed`` passes
every feature's); this module only runs them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.core.clock import Clock
from portal.core.events import EventBus
from portal.db.engine import create_engine
from portal.settings import Settings, SettingsError

logger = logging.getLogger("portal.seed")

Seeder = Callable[[AsyncSession, date, EventBus], Awaitable[None]]


async def seed(
    settings: Settings,
    seeders: Sequence[Seeder],
    already_seeded: Callable[[AsyncSession], Awaitable[bool]],
    events: EventBus,
    clock: Clock | None = None,
) -> bool:
    """Fill an empty database with demo data. Returns False when it was already seeded.
    Refused in production: the demo staff share a published password and the demo API client
    a published token."""
    if settings.app.is_production:
        raise SettingsError(
            "PORTAL_ENV is production, and the demo data holds published passwords and tokens. "
            "Create staff with create-staff and API clients with create-api-client."
        )
    clock = clock or Clock(settings.i18n.zone)
    engine = create_engine(settings.db)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            if await already_seeded(session):
                logger.info("demo data already present; keeping it")
                return False
            for seeder in seeders:
                await seeder(session, clock.today(), events)
            await session.commit()
            logger.info("demo data created")
            return True
    finally:
        await engine.dispose()
