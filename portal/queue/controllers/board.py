"""The waiting-room board (/board/{queue_id}) with pushed updates, and public waiting times
(/waiting)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template

from portal.core.i18n import get_locale
from portal.queue.dependencies import provide_queue_channels, provide_queue_views
from portal.queue.events import WAITING_CHANNEL, queue_channel
from portal.queue.services import QueueViews

KEEPALIVE_SECONDS = 15
STREAM_SECONDS = 300
"""A stream ends after five minutes and the browser reconnects at once (EventSource does): no
stream outlives a restart for long, and a deploy never waits on the waiting-room TVs."""
dependencies = {
    "queue_views": Provide(provide_queue_views),
    "queue_channels": Provide(provide_queue_channels, sync_to_thread=False),
}


@get(
    "/board/{queue_id:uuid}",
    name="board",
    dependencies=dependencies,
    opt={"skip_session": True},
)
async def board_page(
    queue_views: NamedDependency[QueueViews], queue_id: FromPath[UUID]
) -> Template:
    """For a TV in the waiting area: very large, high contrast, the number being called."""
    return Template("queue/board.html", context={"board": await queue_views.board(queue_id)})


@get(
    "/board/{queue_id:uuid}/panel",
    name="board-panel",
    dependencies=dependencies,
    opt={"skip_session": True},
)
async def board_panel(
    queue_views: NamedDependency[QueueViews], queue_id: FromPath[UUID]
) -> Template:
    """The part of the board that changes (fetched on each pushed event, or polled as a fallback)."""
    return Template(
        "queue/_board_panel.html",
        context={"board": await queue_views.board(queue_id)},
        headers={"Cache-Control": "no-store"},
    )


async def _events(channels: ChannelsPlugin, channel: str) -> AsyncIterator[ServerSentEventMessage]:
    """Relay a channel's events as Server-Sent Events, with a comment line now and then so
    proxies keep the connection open. (The subscriber awaits its callback for each event, so the
    awaitable ``inbox.put`` is given: ``put_nowait`` ended the relay after its first event.)"""
    inbox: asyncio.Queue[bytes] = asyncio.Queue()
    async with (
        channels.start_subscription([channel]) as subscriber,
        subscriber.run_in_background(inbox.put),
    ):
        yield ServerSentEventMessage(event="ready", data="{}", retry=2000)
        ends = asyncio.get_running_loop().time() + STREAM_SECONDS
        while (left := ends - asyncio.get_running_loop().time()) > 0:
            try:
                message = await asyncio.wait_for(inbox.get(), min(KEEPALIVE_SECONDS, left))
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            yield ServerSentEventMessage(event="queue", data=message.decode())


@get(
    "/board/{queue_id:uuid}/events",
    name="board-events",
    dependencies=dependencies,
    opt={"skip_session": True},
)
async def board_events(
    queue_views: NamedDependency[QueueViews],
    queue_channels: NamedDependency[ChannelsPlugin],
    queue_id: FromPath[UUID],
) -> ServerSentEvent:
    """Pushed the moment a doctor calls: the board fetches its panel and may read the call aloud."""
    queue = await queue_views.queue(queue_id)  # NotFound for a queue that does not exist
    await queue_views.session.close()  # do not hold a database connection while streaming
    return ServerSentEvent(
        _events(queue_channels, queue_channel(queue.id)),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@get("/waiting", name="waiting", dependencies=dependencies)
async def waiting_page(queue_views: NamedDependency[QueueViews]) -> Template:
    """候诊情况: every department's waiting count and estimated wait, for anyone."""
    return Template(
        "queue/waiting.html", context={"departments": await queue_views.overview_on_page()}
    )


@get("/waiting/panel", name="waiting-panel", dependencies=dependencies, opt={"skip_session": True})
async def waiting_panel(
    request: Request[Any, Any, Any], queue_views: NamedDependency[QueueViews]
) -> Template | Response[bytes]:
    version = await queue_views.today_version()
    tag = hashlib.sha1(
        f"{version}|{get_locale()}|{queue_views.clock.today()}".encode(), usedforsecurity=False
    ).hexdigest()[:16]
    headers = {"ETag": f'W/"{tag}"', "Cache-Control": "public, no-cache", "Vary": "Cookie"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(b"", status_code=304, headers=headers)
    return Template(
        "queue/_waiting_panel.html",
        context={"departments": await queue_views.overview_on_page(version)},
        headers=headers,
    )


@get(
    "/waiting/events",
    name="waiting-events",
    dependencies=dependencies,
    opt={"skip_session": True},
)
async def waiting_events(queue_channels: NamedDependency[ChannelsPlugin]) -> ServerSentEvent:
    return ServerSentEvent(
        _events(queue_channels, WAITING_CHANNEL), headers={"Cache-Control": "no-store"}
    )


route_handlers = [
    board_page,
    board_panel,
    board_events,
    waiting_page,
    waiting_panel,
    waiting_events,
]
