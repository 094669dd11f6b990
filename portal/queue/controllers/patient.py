"""/queue: the patient's tickets today, place in line and estimated wait, updated without reload."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.core.clock import Clock
from portal.core.i18n import get_locale
from portal.queue.dependencies import (
    provide_fingerprints,
    provide_queue_follower,
    provide_queue_views,
)
from portal.queue.follower import QueueFollower
from portal.queue.services import AccountSnapshot, Fingerprints, QueueViews
from portal.settings import Settings
from portal.web.auth import provide_account_id, requires_patient_login
from portal.web.shell import shell_of

dependencies = {
    "account_id": Provide(provide_account_id),
    "queue_views": Provide(provide_queue_views),
    "fingerprints": Provide(provide_fingerprints),
    "queue_follower": Provide(provide_queue_follower, sync_to_thread=False),
}


async def _context(
    account_id: UUID, queue_views: QueueViews, settings: Settings, version: object = None
) -> dict[str, Any]:
    return {
        "statuses": await queue_views.tickets_on_page(account_id, version),
        "poll_seconds": settings.queue.poll_seconds,
    }


@get("/queue", name="queue", guards=[requires_patient_login], dependencies=dependencies)
async def queue_page(
    account_id: NamedDependency[UUID],
    queue_views: NamedDependency[QueueViews],
    settings: NamedDependency[Settings],
) -> Template:
    """Every family member's ticket today: "3 people ahead, about 12 minutes", the room to go to."""
    context = await _context(account_id, queue_views, settings)
    return Template("queue/mine.html", context=context, headers={"Cache-Control": "no-store"})


status_dependencies = {"account_id": dependencies["account_id"]}


# No guard: ``account_id`` refuses a visitor who is not logged in exactly as the guard does
# (NotAuthorizedException, the same answer), and Litestar copies the route handler for every
# guard on every request, a sixth of what an unchanged answer costs.
@get("/queue/status", name="queue-status", dependencies=status_dependencies)
async def queue_status(
    request: Request[Any, Any, Any], account_id: NamedDependency[UUID]
) -> Template | Response[bytes]:
    """The refreshing part of /queue. Unchanged since the phone last asked: 304, nothing sent.

    Thousands of phones ask every 15 s and almost every answer is "unchanged", which the
    follower of queue events knows without the database: a database session is opened only
    when the answer has to be worked out, and the rest comes from the app's state rather than
    through dependency injection (each injected value costs on every poll)."""
    shell = shell_of(request)
    state = request.app.state
    sessions: async_sessionmaker[AsyncSession] = state.db_sessions
    settings: Settings = state.settings
    clock: Clock = state.clock
    queue_follower: QueueFollower | None = provide_queue_follower(request)
    if queue_follower is None:  # no event follower running: ask the database
        async with sessions() as session:
            version = await Fingerprints(session, clock=clock).account_version(account_id)
    else:

        async def snapshot() -> AccountSnapshot:
            async with sessions() as session:
                return await Fingerprints(session, clock=clock).account_snapshot(account_id)

        version = await queue_follower.fingerprint(
            account_id, clock.now().timestamp(), snapshot, day=clock.today()
        )
    tag = hashlib.sha1(
        f"{version}|{get_locale()}|{shell.mode}".encode(), usedforsecurity=False
    ).hexdigest()[:20]
    etag = f'W/"{tag}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie, HX-Request"}
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    async with sessions() as session:
        views = QueueViews(session, settings=settings.queue, clock=clock, cache=state.read_cache)
        context = await _context(account_id, views, settings, version)
    return Template("queue/_status.html", context=context, headers=headers)


route_handlers = [queue_page, queue_status]
