"""The feature packages that make up the portal. Each exposes ``route_handlers`` in its
controllers module, may register home tiles and may run background work (``tasks.lifespan``);
app.py mounts what is listed here."""

from __future__ import annotations

import importlib
from typing import Any

FEATURES: tuple[str, ...] = (
    "portal.web",
    "portal.messaging",
    "portal.accounts",
    "portal.home",
    "portal.audit",
    "portal.api",
    "portal.staff",
    "portal.cards",
    "portal.payments",
    "portal.booking",
    "portal.queue",
    "portal.kiosk",
)


def _module(feature: str, part: str) -> Any | None:
    name = f"{feature}.{part}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def import_models() -> None:
    """Import every feature's models (so SQLAlchemy and Alembic know all tables) and services
    (so the hooks they register, such as issuing a card to every new patient, are in place)."""
    for feature in FEATURES:
        _module(feature, "models")
    for feature in FEATURES:
        _module(feature, "services")


def route_handlers() -> list[Any]:
    """Every feature's handlers: the JSON API (/api/…) documented in the OpenAPI schema, the pages
    for people mounted on a router that leaves them out of it."""
    from litestar import Router

    api: list[Any] = []
    pages: list[Any] = []
    for feature in FEATURES:
        module = _module(feature, "controllers")
        if module is not None:
            for handler in module.route_handlers:
                paths: set[str] = getattr(handler, "paths", set())
                (api if any(p.startswith("/api/") for p in paths) else pages).append(handler)
    return [*api, Router(path="/", route_handlers=pages, include_in_schema=False)]


def lifespans() -> list[Any]:
    """Background work features run while the app serves: a ``lifespan`` context manager in their
    ``tasks`` module (started on startup, stopped on shutdown)."""
    managers: list[Any] = []
    for feature in FEATURES:
        module = _module(feature, "tasks")
        if module is not None:
            managers.append(module.lifespan)
    return managers
