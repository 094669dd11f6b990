"""How the queue's services reach handlers (and how a test swaps them).

``checkin_service`` is the one way a check-in service is built: the provider below uses it, and
so does the desk action (``portal.queue.desk``), which runs outside dependency injection.
"""

from __future__ import annotations

from typing import Any, cast

from litestar import Request
from litestar.channels import ChannelsPlugin
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from portal.booking.timetable import TimetableService
from portal.core.clock import Clock
from portal.queue.events import ChannelAnnouncer
from portal.queue.follower import QueueFollower
from portal.queue.services import (
    Announcer,
    CallingService,
    CheckInService,
    ConsoleAccess,
    CoverService,
    Fingerprints,
    QueueViews,
)
from portal.settings import Settings
from portal.web.dependencies import read_cache_of

Connection = ASGIConnection[Any, Any, Any, Any]


def channels_of(connection: Connection) -> ChannelsPlugin | None:
    """The channels queue events travel on (None in an app built without them)."""
    return cast(ChannelsPlugin | None, connection.app.state.get("channels"))


def checkin_service(
    session: AsyncSession, settings: Settings, clock: Clock, announcer: Announcer
) -> CheckInService:
    return CheckInService(
        session,
        settings=settings.queue,
        clock=clock,
        timetable=TimetableService(session, settings=settings.booking, clock=clock),
        announcer=announcer,
    )


def provide_queue_channels(request: Connection) -> ChannelsPlugin:
    channels = channels_of(request)
    assert channels is not None  # app.py always installs them
    return channels


def provide_queue_announcer(request: Connection) -> Announcer:
    return ChannelAnnouncer(channels_of(request))


def provide_queue_follower(request: Connection) -> QueueFollower | None:
    """This process's follower of queue events (None while it is not running)."""
    return cast(QueueFollower | None, request.app.state.get("queue_follower"))


async def provide_checkin_service(
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
    queue_announcer: NamedDependency[Announcer],
) -> CheckInService:
    return checkin_service(db_session, settings, clock, queue_announcer)


async def provide_calling_service(
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
    queue_announcer: NamedDependency[Announcer],
) -> CallingService:
    return CallingService(
        db_session, settings=settings.queue, clock=clock, announcer=queue_announcer
    )


async def provide_queue_views(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
) -> QueueViews:
    return QueueViews(
        db_session, settings=settings.queue, clock=clock, cache=read_cache_of(request)
    )


async def provide_console_access(
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
) -> ConsoleAccess:
    timetable = TimetableService(db_session, settings=settings.booking, clock=clock)
    return ConsoleAccess(db_session, clock=clock, timetable=timetable)


async def provide_cover_service(
    db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]
) -> CoverService:
    return CoverService(db_session, clock=clock)


async def provide_fingerprints(
    db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]
) -> Fingerprints:
    return Fingerprints(db_session, clock=clock)


announcer = {"queue_announcer": Provide(provide_queue_announcer, sync_to_thread=False)}
checkin_dependencies = {**announcer, "checkin_service": Provide(provide_checkin_service)}
"""For a handler outside the queue that checks patients in (the kiosk)."""
