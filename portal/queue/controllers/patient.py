"""/queue: the patient's tickets today, place in line and estimated wait, updated without reload."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from portal.queue.dependencies import provide_queue_service
from portal.queue.services import AccountSnapshot, QueueService
from portal.web import tiles
from portal.web.auth import provide_account_id, requires_patient_login
from portal.web.i18n import get_locale, lazy_gettext
from portal.web.shell import shell_of
from portal.web.tiles import Tile

dependencies = {
    "account_id": Provide(provide_account_id),
    "queue_service": Provide(provide_queue_service),
}


async def _context(
    request: Request[Any, Any, Any], account_id: UUID, queue_service: QueueService
) -> dict[str, Any]:
    settings = request.app.state.settings.queue
    return {
        "statuses": await queue_service.tickets_for_account(account_id),
        "alert_ahead": settings.alert_when_ahead,
        "poll_seconds": settings.poll_seconds,
    }


@get("/queue", name="queue", guards=[requires_patient_login], dependencies=dependencies)
async def queue_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    queue_service: NamedDependency[QueueService],
) -> Template:
    """Every family member's ticket today: "3 people ahead, about 12 minutes", the room to go to."""
    context = await _context(request, account_id, queue_service)
    return Template("queue/mine.html", context=context, headers={"Cache-Control": "no-store"})


VERSION_CACHE_LIMIT = 50_000
VERSION_MAX_AGE_SECONDS = 60


@dataclass(frozen=True)
class _Known:
    """What an account's fingerprint depended on when it was read from the database."""

    epoch: int
    minute: int
    checkins: dict[str, int]
    snapshot: AccountSnapshot


async def _account_version(
    request: Request[Any, Any, Any], account_id: UUID, queue_service: QueueService
) -> str:
    """The account's queue fingerprint: from memory while none of its queues changed and none of
    its patients checked in since it was read (and at most a minute old), else from the database."""
    state = request.app.state
    cache: dict[UUID, _Known] | None = state.get("queue_status_versions")
    if cache is None:  # no event follower running: ask the database
        return await queue_service.account_version(account_id)
    minute = int(queue_service.clock.now().timestamp() // VERSION_MAX_AGE_SECONDS)
    live, checkins = state.queue_versions, state.patient_checkins
    known = cache.get(account_id)
    if (
        known is not None
        and known.epoch == state.queue_epoch
        and known.minute == minute
        and all(
            live.get(queue, version) == version for queue, version in known.snapshot.queues.items()
        )
        and all(checkins.get(patient, 0) == count for patient, count in known.checkins.items())
    ):
        return known.snapshot.fingerprint
    epoch = state.queue_epoch
    seen = {
        patient: checkins.get(patient, 0) for patient in (known.snapshot.patients if known else ())
    }
    snapshot = await queue_service.account_snapshot(account_id)
    seen = {patient: seen.get(patient, checkins.get(patient, 0)) for patient in snapshot.patients}
    if len(cache) >= VERSION_CACHE_LIMIT:
        cache.clear()
    cache[account_id] = _Known(epoch, minute, seen, snapshot)
    return snapshot.fingerprint


@get(
    "/queue/status", name="queue-status", guards=[requires_patient_login], dependencies=dependencies
)
async def queue_status(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    queue_service: NamedDependency[QueueService],
) -> Template | Response[bytes]:
    """The refreshing part of /queue. Unchanged since the phone last asked: 304, nothing sent."""
    shell = shell_of(request)
    version = await _account_version(request, account_id, queue_service)
    tag = hashlib.sha1(
        f"{version}|{get_locale()}|{shell.mode}".encode(), usedforsecurity=False
    ).hexdigest()[:20]
    etag = f'W/"{tag}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie, HX-Request"}
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    context = await _context(request, account_id, queue_service)
    return Template("queue/_status.html", context=context, headers=headers)


route_handlers = [queue_page, queue_status]

tiles.register(
    Tile(
        key="queue",
        label=lazy_gettext("My place in the queue"),
        hint=lazy_gettext("How many people are ahead"),
        href="/queue",
        icon="queue",
        group="visit",
        rank=30,
        elder_rank=30,
    ),
)
