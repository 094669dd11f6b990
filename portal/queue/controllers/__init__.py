"""Queue pages: the patient's phone, the waiting-room board and public waiting times, the
doctor's console, and cover for a colleague's room."""

from portal.queue.controllers.board import route_handlers as board_handlers
from portal.queue.controllers.console import route_handlers as console_handlers
from portal.queue.controllers.cover import route_handlers as cover_handlers
from portal.queue.controllers.patient import route_handlers as patient_handlers

route_handlers = [*patient_handlers, *board_handlers, *console_handlers, *cover_handlers]
