"""create_app(): plugins, middleware and routes, assembled from the features listed below.

``FEATURES`` is the portal: each feature package declares what it offers in its ``feature``
module (portal/web/feature.py says what a declaration holds), and this list, in this order,
is all that joins them. Adding a feature is its package plus one line here.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.accounts.feature import feature as accounts
from portal.accounts.seed import already_seeded
from portal.api.feature import feature as api
from portal.audit.feature import feature as audit
from portal.booking.feature import feature as booking
from portal.cards.feature import feature as cards
from portal.cards.keys import build_keyring
from portal.core.clock import Clock
from portal.core.events import EventBus
from portal.db.engine import create_engine
from portal.db.generations import ReadCache, watch_writes
from portal.db.seed import seed
from portal.home.feature import feature as home
from portal.kiosk.feature import feature as kiosk
from portal.messaging.feature import feature as messaging
from portal.messaging.services import build_sender
from portal.payments.feature import feature as payments
from portal.paysandbox.feature import feature as paysandbox
from portal.queue.events import build_channels
from portal.queue.feature import feature as queue
from portal.settings import Settings, get_settings
from portal.staff.feature import feature as staff
from portal.web import controllers as shell_routes
from portal.web.api import openapi_components
from portal.web.csrf import CsrfShapeMiddleware
from portal.web.dependencies import WEB_DEPENDENCIES
from portal.web.dependency_order import resolve_dependencies_in_order
from portal.web.errors import exception_handlers
from portal.web.feature import Feature
from portal.web.openapi import MsgspecSchemaPlugin
from portal.web.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from portal.web.security import security_headers_hook
from portal.web.sessions import RotatingSessionConfig
from portal.web.shell import shell_middleware_factory
from portal.web.static import StaticFiles, static_files_handler
from portal.web.templating import STATIC_DIR, template_config
from portal.web.tiles import HomeTiles

logger = logging.getLogger("portal")

FEATURES: tuple[Feature, ...] = (
    messaging,
    accounts,
    home,
    audit,
    api,
    staff,
    cards,
    payments,
    paysandbox,
    booking,
    queue,
    kiosk,
)
"""Every feature, in the order their routes, tiles, listeners and demo data are taken."""


def load_models() -> None:
    """Every feature's tables are known to SQLAlchemy and Alembic once this module is imported
    (each declaration imports its feature); callers outside the app (migrations, commands,
    tests) call this to say so."""


def event_bus(features: tuple[Feature, ...] = FEATURES) -> EventBus:
    """Who reacts to which event, from every declaration."""
    return EventBus(feature.listeners for feature in features)


async def seed_demo(settings: Settings, clock: Clock | None = None) -> bool:
    """The demo data of every feature that has some, in the order listed (once; refused in
    production). Returns False when the database was already seeded."""
    seeders = [feature.seed for feature in FEATURES if feature.seed is not None]
    return await seed(settings, seeders, already_seeded, event_bus(), clock)


def _route_handlers(features: tuple[Feature, ...]) -> list[Any]:
    """The JSON API (/api/…) documented in the OpenAPI schema; pages for people on a router that
    leaves them out of it."""
    api_handlers: list[Any] = []
    pages: list[Any] = list(shell_routes.route_handlers)
    for feature in features:
        for handler in feature.route_handlers:
            paths: set[str] = getattr(handler, "paths", set())
            (api_handlers if any(p.startswith("/api/") for p in paths) else pages).append(handler)
    return [*api_handlers, Router(path="/", route_handlers=pages, include_in_schema=False)]


def _desk_actions(features: tuple[Feature, ...]) -> dict[Any, Any]:
    actions: dict[Any, Any] = {}
    for feature in features:
        for touchpoint, action in feature.desk_actions.items():
            if touchpoint in actions:
                raise ValueError(f"two features declare a desk action at {touchpoint}")
            actions[touchpoint] = action
    return actions


def _template_globals(features: tuple[Feature, ...]) -> dict[str, Any]:
    helpers: dict[str, Any] = {}
    for feature in features:
        clash = helpers.keys() & feature.template_globals.keys()
        if clash:
            raise ValueError(f"{feature.name} offers template helpers already taken: {clash}")
        helpers.update(feature.template_globals)
    return helpers


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


def freeze_heap() -> None:
    """Collect what starting left behind, then freeze the rest (gc.freeze): a long-lived
    server's startup objects never become garbage, and walking them is what makes the
    collector's oldest generation pause a request for tens of milliseconds."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    """Build the portal. Tests pass their own settings and clock."""
    settings = settings or get_settings()
    settings.app.check()
    settings.login.check(settings.app.is_production)
    settings.booking.check()
    settings.insurance.check()
    settings.receipts.check(settings.app.is_production)
    settings.payments.check(settings.app.is_production)
    resolve_dependencies_in_order()
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
        exclude=["^/static/", "^/healthz", "^/readyz", "^/api/", "^/dev/pay/v3/"],
    )
    csrf_config = CSRFConfig(
        secret=settings.app.secret_key,
        cookie_name="ymt_csrf",
        header_name="x-csrftoken",
        cookie_secure=settings.app.is_production,
        cookie_samesite="lax",
        # The health probes take no form: no token to make and sign for a load balancer. The
        # payment sandbox's API is signed by the merchant's key instead.
        exclude=["^/api/", "^/healthz$", "^/readyz$", "^/dev/pay/v3/"],
    )
    db_sessions = async_sessionmaker(engine, expire_on_commit=False)
    watch_writes()
    state = State(
        {
            "settings": settings,
            "clock": clock or Clock(settings.i18n.zone, settings.app.clock_offset_seconds),
            "sms_sender": build_sender(settings.login, db_sessions),
            "rate_limiter": rate_limiter,
            "redis": redis,
            "default_locale": settings.i18n.default_locale,
            "db_sessions": db_sessions,
            "ecard_keyring": build_keyring(settings),
            "channels": channels,
            "events": event_bus(FEATURES),
            "tiles": HomeTiles(tile for feature in FEATURES for tile in feature.tiles),
            "desk_actions": _desk_actions(FEATURES),
            "read_cache": ReadCache(enabled=redis is None and settings.app.processes == 1),
        }
    )

    async def close_connections() -> None:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()

    return Litestar(
        route_handlers=[
            *_route_handlers(FEATURES),
            static_files_handler(StaticFiles(STATIC_DIR, watch=settings.app.reload_templates)),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config), HTMXPlugin(), channels, MsgspecSchemaPlugin()],
        dependencies=WEB_DEPENDENCIES,
        before_send=[security_headers_hook(settings.app.is_production)],
        middleware=[
            session_config.middleware,
            shell_middleware_factory(
                settings.i18n.default_locale, settings.login.login_lifetime_seconds
            ),
            CsrfShapeMiddleware(csrf_config),  # runs right before Litestar's CSRF check
        ],
        csrf_config=csrf_config,
        template_config=template_config(
            _template_globals(FEATURES),
            development=settings.app.reload_templates,
        ),
        compression_config=CompressionConfig(
            backend="brotli",
            brotli_gzip_fallback=True,
            # A 64 KiB window: a page smaller than that compresses exactly as well as with the
            # default 4 MiB one, and the compressor each response makes is much cheaper to set up.
            # Sampled on the "now full" page: 14 % of the server's time in brotli, now 7 %.
            brotli_lgwin=16,
            minimum_size=500,
            # Event streams flush each event as it happens; a compressor would hold them back.
            # Static files are compressed once, at their best, by their own route.
            exclude=["/events$", "^/api/", "^/dev/pay/v3/", "^/static/", "^/healthz$", "^/readyz$"],
        ),
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
        on_startup=[freeze_heap] if settings.app.freeze_heap else [],
        on_shutdown=[close_connections],
        lifespan=[f.lifespan for f in FEATURES if f.lifespan is not None],
        debug=False,
    )
