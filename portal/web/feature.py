"""The feature contract: what one feature package offers the portal.

Each feature package (``portal/<feature>/__init__.py``) exports one ``Feature`` named
``feature``; ``app.py`` assembles an explicit, ordered list of them. Nothing registers itself on
import: a feature's routes, template helpers, home tiles, desk actions, the events it listens to,
its background work and its demo data are all in its declaration, where a reader finds them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.events import EventBus, Listener
from portal.core.touchpoints import Touchpoint
from portal.web.tiles import Tile

DeskAction = Callable[..., Awaitable[dict[str, Any]]]
"""(request, db session, the accepted scan, the staff member) → context for the desk's template
``staff/desk/_<touchpoint>.html``: what the desk does with an accepted scan."""
Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]
"""Background work while the app serves (started on startup, stopped on shutdown)."""
Seeder = Callable[[AsyncSession, date, EventBus], Awaitable[None]]
"""Adds the feature's demo data (development only), inside the seed's one transaction."""


@dataclass(frozen=True)
class Feature:
    """One feature's offer. Only ``name`` is required; a feature declares what it has."""

    name: str
    route_handlers: Sequence[Any] = ()
    """Litestar handlers; those under /api/ are documented in the OpenAPI schema."""
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    """Helpers its templates use (labels, wording), available to every template."""
    tiles: Sequence[Tile] = ()
    """Services it offers on the home page."""
    desk_actions: Mapping[Touchpoint, DeskAction] = field(default_factory=dict)
    """What a scan station does after an accepted scan at a touchpoint (one feature each)."""
    listeners: Mapping[type, Sequence[Listener]] = field(default_factory=dict)
    """Other features' events it reacts to, in the emitter's transaction."""
    lifespan: Lifespan | None = None
    seed: Seeder | None = None
