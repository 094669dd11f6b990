"""The API clients feature's declaration (see portal/web/feature.py): the bearer tokens of
hospital systems and scanners, with the scopes each may use in the /api/v1 operations other
features offer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from portal.api.seed import PUBLISHED_TOKENS, seed_api_clients
from portal.api.services import active_with_tokens
from portal.settings import SettingsError
from portal.web.feature import Feature


@asynccontextmanager
async def refuse_published_tokens(app: Any) -> AsyncIterator[None]:
    """In production the app does not start while an API client still holds one of the demo's
    published tokens (a database seeded in development and deployed as it was)."""
    if app.state.settings.app.is_production:
        async with app.state.db_sessions() as session:
            published = await active_with_tokens(session, PUBLISHED_TOKENS)
        if published:
            raise SettingsError(
                f"the API clients {', '.join(published)} hold the demo's published tokens; "
                "retire them (python -m portal retire-api-client NAME) before serving"
            )
    yield


feature = Feature(name="api", seed=seed_api_clients, lifespan=refuse_published_tokens)
