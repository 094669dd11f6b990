"""Follow every queue event in this process, so "has anything changed?" needs no database.

Every event published on the followers' channel (every check-in and call, from any app process
when Redis carries the channels) is noted by the process's ``QueueFollower``
(``portal.queue.follower``); anything missed while (re)subscribing forgets what it kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.channels import ChannelsPlugin

from portal.queue.events import FOLLOWER_CHANNEL
from portal.queue.follower import QueueFollower

logger = logging.getLogger("portal.queue")


async def _follow(channels: ChannelsPlugin, follower: QueueFollower) -> None:
    while True:
        try:
            async with channels.start_subscription([FOLLOWER_CHANNEL]) as subscriber:
                follower.forget()  # anything missed while (re)subscribing counts as a change
                async for event in subscriber.iter_events():
                    follower.note(event)
        except asyncio.CancelledError:
            raise
        except Exception:  # the channel backend is not ready or Redis dropped: try again
            logger.debug("queue event follower restarting", exc_info=True)
            follower.forget()
            await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    follower = QueueFollower()
    app.state.queue_follower = follower
    task = asyncio.create_task(_follow(app.state.channels, follower), name="queue-events")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
