"""The booking feature's declaration (see portal/web/feature.py)."""

from datetime import datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from portal.booking import labels
from portal.booking.controllers import route_handlers
from portal.booking.seed import seed_booking
from portal.booking.tasks import lifespan
from portal.core.i18n import lazy_gettext
from portal.web.feature import Feature
from portal.web.tiles import Tile


@pass_context
def _local(context: Context, moment: datetime) -> datetime:
    """A stored (UTC) moment in the hospital's time zone, for ``|clock`` and dates."""
    clock: Any = context["request"].app.state.clock
    return clock.local(moment)


feature = Feature(
    name="booking",
    route_handlers=route_handlers,
    template_globals={
        "title_label": labels.title_label,
        "period_label": labels.period_label,
        "status_label": labels.status_label,
        "department_name": labels.department_name,
        "places_left": labels.places_left,
        "short_date": labels.short_date,
        "local": _local,
    },
    tiles=[
        Tile(
            key="booking",
            label=lazy_gettext("Book an appointment"),
            hint=lazy_gettext("Find a doctor, choose a time"),
            href="/booking",
            icon="calendar",
            group="visit",
            rank=10,
            elder_rank=10,
        ),
        Tile(
            key="appointments",
            label=lazy_gettext("My appointments"),
            hint=lazy_gettext("Upcoming visits, cancel, waiting list"),
            href="/appointments",
            icon="list",
            group="visit",
            rank=20,
            elder_rank=20,
            needs_login=True,
        ),
    ],
    lifespan=lifespan,
    seed=seed_booking,
)
