"""What the app holds for every request, typed: settings, the clock, the rate limiter, the event
bus, the database sessions outside a handler.

Handlers ask for them by name as dependencies (``clock: NamedDependency[Clock]``); the app
provides ``WEB_DEPENDENCIES`` to every route, so a test swaps one in one place. Code that runs
where there is no dependency injection (guards, middleware, template helpers, providers) reads
them through the ``…_of(connection)`` functions instead of ``app.state`` by hand.
"""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.core.clock import Clock
from portal.core.events import EventBus
from portal.db.generations import ReadCache
from portal.settings import Settings
from portal.web.ratelimit import RateLimiter

Connection = ASGIConnection[Any, Any, Any, Any]


def settings_of(connection: Connection) -> Settings:
    return cast(Settings, connection.app.state.settings)


def clock_of(connection: Connection) -> Clock:
    return cast(Clock, connection.app.state.clock)


def rate_limiter_of(connection: Connection) -> RateLimiter:
    return cast(RateLimiter, connection.app.state.rate_limiter)


def events_of(connection: Connection) -> EventBus:
    return cast(EventBus, connection.app.state.events)


def db_sessions_of(connection: Connection) -> async_sessionmaker[AsyncSession]:
    """Sessions of their own for code that runs before a handler's session exists (guards)."""
    return cast(async_sessionmaker[AsyncSession], connection.app.state.db_sessions)


def read_cache_of(connection: Connection) -> ReadCache:
    """What pages may keep between requests (portal/db/generations.py)."""
    return cast(ReadCache, connection.app.state.read_cache)


def provide_settings(request: Connection) -> Settings:
    return settings_of(request)


def provide_clock(request: Connection) -> Clock:
    return clock_of(request)


def provide_rate_limiter(request: Connection) -> RateLimiter:
    return rate_limiter_of(request)


def provide_events(request: Connection) -> EventBus:
    return events_of(request)


WEB_DEPENDENCIES: dict[str, Provide] = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "clock": Provide(provide_clock, sync_to_thread=False),
    "rate_limiter": Provide(provide_rate_limiter, sync_to_thread=False),
    "events": Provide(provide_events, sync_to_thread=False),
}
"""Provided to every route (app.py): a handler names the ones it needs."""
