"""Follow every queue event in this process, so "has anything changed?" needs no database.

Each event published on the waiting channel (every check-in and call, from any app process when
Redis carries the channels) records its queue's new version, and a check-in its patient. A phone
whose queues and patients have had no event since its ETag was made gets its 304 without a
query. ``queue_epoch`` moves on when events may have been missed (a reconnect): every cached
answer is then recomputed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from litestar import Litestar

from portal.queue.events import WAITING_CHANNEL

logger = logging.getLogger("portal.queue")


def _note(app: Litestar, raw: bytes) -> None:
    try:
        event = json.loads(raw)
        app.state.queue_versions[event["queue"]] = int(event["version"])
        if "patient" in event:
            checkins = app.state.patient_checkins
            checkins[event["patient"]] = checkins.get(event["patient"], 0) + 1
    except (ValueError, KeyError, TypeError):
        app.state.queue_epoch += 1  # an event we cannot read: forget everything cached


async def _follow(app: Litestar) -> None:
    while True:
        try:
            async with app.state.channels.start_subscription([WAITING_CHANNEL]) as subscriber:
                app.state.queue_epoch += (
                    1  # anything missed while (re)subscribing counts as a change
                )
                async for _event in subscriber.iter_events():
                    app.state.queue_epoch += 1
        except asyncio.CancelledError:
            raise
        except Exception:  # the channel backend is not ready or Redis dropped: try again
            logger.debug("queue event follower restarting", exc_info=True)
            app.state.queue_epoch += 1
            await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    app.state.queue_epoch = 0
    app.state.queue_versions = {}
    app.state.patient_checkins = {}
    app.state.queue_status_versions = {}
    task = asyncio.create_task(_follow(app), name="queue-events")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
