"""create_app(): plugins, middleware and routes, assembled from small pieces."""

from __future__ import annotations

import logging
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from sqlalchemy.ext.asyncio import async_sessionmaker

from portal import features
from portal.cards.keys import build_keyring
from portal.clock import Clock
from portal.db.base import load_models
from portal.db.engine import create_engine
from portal.messaging.services import build_sender
from portal.queue.events import build_channels
from portal.settings import Settings, get_settings
from portal.web.api import openapi_components
from portal.web.errors import exception_handlers
from portal.web.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from portal.web.security import security_headers_hook
from portal.web.sessions import RotatingSessionConfig
from portal.web.shell import shell_middleware_factory
from portal.web.templating import STATIC_DIR, template_config

logger = logging.getLogger("portal")


def _stores(settings: Settings) -> tuple[dict[str, Store], RateLimiter, Any]:
    """Sessions and rate limits: in this process by default, in Redis when configured."""
    if settings.redis.url:
        from litestar.stores.redis import RedisStore
        from redis.asyncio import BlockingConnectionPool, Redis

        pool = BlockingConnectionPool.from_url(
            settings.redis.url,
            max_connections=settings.redis.max_connections,
            timeout=settings.redis.wait_seconds,
        )
        redis = Redis.from_pool(pool)  # closing the client closes the pool
        return (
            {"sessions": RedisStore(redis, namespace="ymt:sessions")},
            RedisRateLimiter(redis),
            redis,
        )
    return {"sessions": MemoryStore()}, MemoryRateLimiter(), None


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    """Build the portal. Tests pass their own settings and clock."""
    settings = settings or get_settings()
    settings.app.check()
    settings.login.check(settings.app.is_production)
    settings.booking.check()
    settings.imports.check(settings.app.is_production)
    load_models()
    engine = create_engine(settings.db)
    db_config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        set_default_exception_handler=False,
    )
    stores, rate_limiter, redis = _stores(settings)
    channels = build_channels(redis)
    session_config = RotatingSessionConfig(
        key="ymt_session",
        max_age=settings.login.session_max_age_seconds,
        secure=settings.app.is_production,
        httponly=True,
        samesite="lax",
        exclude=["^/static/", "^/healthz", "^/readyz", "^/api/"],
    )
    state = State(
        {
            "settings": settings,
            "clock": clock or Clock(settings.i18n.zone, settings.app.clock_offset_seconds),
            "sms_sender": build_sender(
                settings.login.sms_sender,
                settings.login.sms_gateway_url,
                settings.login.sms_gateway_token,
            ),
            "rate_limiter": rate_limiter,
            "redis": redis,
            "default_locale": settings.i18n.default_locale,
            "db_sessions": async_sessionmaker(engine, expire_on_commit=False),
            "ecard_keyring": build_keyring(settings),
            "channels": channels,
        }
    )

    async def close_connections() -> None:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()

    return Litestar(
        route_handlers=[
            *features.route_handlers(),
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                include_in_schema=False,
                cache_control=None,
                opt={"skip_session": True},
            ),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config), HTMXPlugin(), channels],
        before_send=[security_headers_hook(settings.app.is_production)],
        middleware=[
            session_config.middleware,
            shell_middleware_factory(settings.i18n.default_locale),
        ],
        csrf_config=CSRFConfig(
            secret=settings.app.secret_key,
            cookie_name="ymt_csrf",
            header_name="x-csrftoken",
            cookie_secure=settings.app.is_production,
            cookie_samesite="lax",
            exclude=["^/api/"],
        ),
        template_config=template_config(),
        stores=stores,
        state=state,
        exception_handlers=exception_handlers,
        # The schema as JSON and YAML only: the interactive viewers load scripts from CDNs, which
        # the Content-Security-Policy (rightly) blocks.
        openapi_config=OpenAPIConfig(
            title="Yimatong API",
            version="1",
            path="/schema",
            components=openapi_components(),
            render_plugins=[
                JsonRenderPlugin(path=["/", "/openapi.json"]),
                YamlRenderPlugin(path="/openapi.yaml"),
            ],
        ),
        logging_config=LoggingConfig(
            log_exceptions="debug", root={"level": "INFO", "handlers": ["queue_listener"]}
        ),
        on_shutdown=[close_connections],
        lifespan=features.lifespans(),
        debug=False,
    )
