"""Booking's background work while the app serves: every few seconds, record no-shows, expire
unanswered waitlist offers and put returned places back on sale when their moment comes.

Every app process runs it; each step is a conditional update in a write transaction, so running
it in several processes at once does each thing once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar

from portal.booking.fullness import FullSlotReadings
from portal.booking.noshows import NoShowService
from portal.booking.waitlist import Housekeeping, WaitlistService
from portal.web.periodic import every

logger = logging.getLogger("portal.booking")


async def run_housekeeping(app_state: Any) -> tuple[int, Housekeeping]:
    """One round: returns the no-shows recorded and what the waitlist did."""
    settings = app_state.settings.booking
    clock = app_state.clock
    async with app_state.db_sessions() as session:
        no_shows = await NoShowService(session, clock=clock).record_no_shows()
        done = await WaitlistService(
            session, settings=settings, clock=clock, sms_sender=app_state.sms_sender
        ).release_due_slots()
    return no_shows, done


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Keep this process's readings of full slots, and start the housekeeping loop (unless
    PORTAL_BOOKING_HOUSEKEEPING_SECONDS is 0)."""
    app.state.full_slot_readings = FullSlotReadings()

    async def housekeeping_round() -> None:
        no_shows, done = await run_housekeeping(app.state)
        if no_shows or done.offers_expired or done.places_released:
            logger.info(
                "booking housekeeping: %d no-shows, %d offers expired, %d places released",
                no_shows,
                done.offers_expired,
                done.places_released,
            )

    async with every(
        app.state.settings.booking.housekeeping_seconds,
        housekeeping_round,
        name="booking-housekeeping",
        logger=logger,
    ):
        yield
