"""Queue pages: the patient's phone, the waiting-room board and public waiting times, the
doctor's console."""

from portal.queue import desk as _desk  # registers check-in at triage and registration
from portal.queue.controllers.board import route_handlers as board_handlers
from portal.queue.controllers.console import route_handlers as console_handlers
from portal.queue.controllers.patient import route_handlers as patient_handlers

route_handlers = [*patient_handlers, *board_handlers, *console_handlers]

__all__ = ["_desk", "route_handlers"]
