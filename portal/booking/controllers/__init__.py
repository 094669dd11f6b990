"""Booking pages, my appointments and the timetable import API; the home tiles they offer."""

from __future__ import annotations

from portal.booking.controllers import api, appointments, booking, finding
from portal.web import tiles
from portal.web.i18n import lazy_gettext
from portal.web.tiles import Tile

route_handlers = [
    *finding.route_handlers,
    *booking.route_handlers,
    *appointments.route_handlers,
    *api.route_handlers,
]

tiles.register(
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
)
