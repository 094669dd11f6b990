"""The waiting-room board (/board/{queue}) with pushed updates, and public waiting times (/waiting)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template

from portal.queue.dependencies import provide_queue_service
from portal.queue.events import WAITING_CHANNEL, queue_channel
from portal.queue.services import QueueService
from portal.web import tiles
from portal.web.forms import RuleError
from portal.web.i18n import get_locale, lazy_gettext
from portal.web.tiles import Tile

KEEPALIVE_SECONDS = 15
STREAM_SECONDS = 300
"""A stream ends after five minutes and the browser reconnects at once (EventSource does): no
stream outlives a restart for long, and a deploy never waits on the waiting-room TVs."""
dependencies = {"queue_service": Provide(provide_queue_service)}


def _queue_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise NotFoundException() from exc


async def _board(queue_service: QueueService, queue: str) -> dict[str, Any]:
    try:
        return await queue_service.board(_queue_id(queue))
    except RuleError as exc:
        raise NotFoundException() from exc


@get("/board/{queue:str}", name="board", dependencies=dependencies, opt={"skip_session": True})
async def board_page(
    queue_service: NamedDependency[QueueService], queue: FromPath[str]
) -> Template:
    """For a TV in the waiting area: very large, high contrast, the number being called."""
    return Template("queue/board.html", context=await _board(queue_service, queue))


@get(
    "/board/{queue:str}/panel",
    name="board-panel",
    dependencies=dependencies,
    opt={"skip_session": True},
)
async def board_panel(
    queue_service: NamedDependency[QueueService], queue: FromPath[str]
) -> Template:
    """The part of the board that changes (fetched on each pushed event, or polled as a fallback)."""
    return Template(
        "queue/_board_panel.html",
        context=await _board(queue_service, queue),
        headers={"Cache-Control": "no-store"},
    )


async def _events(
    request: Request[Any, Any, Any], channel: str
) -> AsyncIterator[ServerSentEventMessage]:
    """Relay a channel's events as Server-Sent Events, with a comment line now and then so
    proxies keep the connection open."""
    channels = request.app.state.channels
    inbox: asyncio.Queue[bytes] = asyncio.Queue()
    async with (
        channels.start_subscription([channel]) as subscriber,
        subscriber.run_in_background(inbox.put_nowait),
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
    "/board/{queue:str}/events",
    name="board-events",
    dependencies=dependencies,
    opt={"skip_session": True},
)
async def board_events(
    request: Request[Any, Any, Any],
    queue_service: NamedDependency[QueueService],
    queue: FromPath[str],
) -> ServerSentEvent:
    """Pushed the moment a doctor calls: the board fetches its panel and may read the call aloud."""
    board = await _board(queue_service, queue)
    await queue_service.session.close()  # do not hold a database connection while streaming
    return ServerSentEvent(
        _events(request, queue_channel(board["queue"].id)),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _waiting_context(queue_service: QueueService) -> dict[str, Any]:
    return {"departments": await queue_service.overview()}


@get("/waiting", name="waiting", dependencies=dependencies)
async def waiting_page(queue_service: NamedDependency[QueueService]) -> Template:
    """候诊情况: every department's waiting count and estimated wait, for anyone."""
    return Template("queue/waiting.html", context=await _waiting_context(queue_service))


@get("/waiting/panel", name="waiting-panel", dependencies=dependencies, opt={"skip_session": True})
async def waiting_panel(
    request: Request[Any, Any, Any], queue_service: NamedDependency[QueueService]
) -> Template | Response[bytes]:
    version = await queue_service.today_version()
    tag = hashlib.sha1(
        f"{version}|{get_locale()}|{queue_service.clock.today()}".encode(), usedforsecurity=False
    ).hexdigest()[:16]
    headers = {"ETag": f'W/"{tag}"', "Cache-Control": "public, no-cache", "Vary": "Cookie"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(b"", status_code=304, headers=headers)
    return Template(
        "queue/_waiting_panel.html", context=await _waiting_context(queue_service), headers=headers
    )


@get("/waiting/events", name="waiting-events", opt={"skip_session": True})
async def waiting_events(request: Request[Any, Any, Any]) -> ServerSentEvent:
    return ServerSentEvent(_events(request, WAITING_CHANNEL), headers={"Cache-Control": "no-store"})


route_handlers = [
    board_page,
    board_panel,
    board_events,
    waiting_page,
    waiting_panel,
    waiting_events,
]

tiles.register(
    Tile(
        key="waiting",
        label=lazy_gettext("Waiting times"),
        hint=lazy_gettext("How busy each department is"),
        href="/waiting",
        icon="clock",
        group="visit",
        rank=40,
        elder_rank=None,
    ),
)
