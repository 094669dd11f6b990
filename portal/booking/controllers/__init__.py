"""Booking pages, my appointments and the timetable import API; the home tiles they offer."""

from __future__ import annotations

from portal.booking.controllers import api, appointments, booking, finding

route_handlers = [
    *finding.route_handlers,
    *booking.route_handlers,
    *appointments.route_handlers,
    *api.route_handlers,
]
