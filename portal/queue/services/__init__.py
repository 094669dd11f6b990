"""What the queue feature offers, one service per concern:

- ``checkin``: a scan at a desk or a kiosk gives a ticket (booking's ``VisitService`` says
  whether the appointment may be checked in); ``numbering`` gives its number;
- ``calling``: the doctor's console calls next, again, missed, done — one transition each;
- ``waiting``: the line's order and the estimates; ``views``: what phones, boards, the public
  page and the console show, as typed values; ``fingerprints``: a phone's "anything new?";
- ``access`` and ``cover``: who may run which room, and cover for a colleague.

Every change of a queue bumps its version and is announced after the commit (``changes``).
"""

from portal.queue.services.access import ConsoleAccess, ConsoleUser, NotYourQueue
from portal.queue.services.calling import CallingService
from portal.queue.services.changes import Announcer, QueueEvent, Silent
from portal.queue.services.checkin import CheckIn, CheckInService, NoAppointmentToday
from portal.queue.services.cover import Cover, CoverService
from portal.queue.services.fingerprints import AccountSnapshot, Fingerprints
from portal.queue.services.numbering import PREFIXES
from portal.queue.services.views import (
    BoardLine,
    BoardView,
    ConsolePerson,
    ConsoleView,
    DepartmentWait,
    QueueViews,
    RoomWait,
    TicketStatus,
)
from portal.queue.services.waiting import WaitingLine

__all__ = [
    "PREFIXES",
    "AccountSnapshot",
    "Announcer",
    "BoardLine",
    "BoardView",
    "CallingService",
    "CheckIn",
    "CheckInService",
    "ConsoleAccess",
    "ConsolePerson",
    "ConsoleUser",
    "ConsoleView",
    "Cover",
    "CoverService",
    "DepartmentWait",
    "Fingerprints",
    "NoAppointmentToday",
    "NotYourQueue",
    "QueueEvent",
    "QueueViews",
    "RoomWait",
    "Silent",
    "TicketStatus",
    "WaitingLine",
]
