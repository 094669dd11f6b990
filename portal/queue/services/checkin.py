"""Check-in by scan: a patient with an appointment today gets a ticket in the session's queue.

Whether the appointment may be checked in is booking's to say (``VisitService``: the one set
of check-in rules); the queue decides which appointment a scan is for, when the queue opens to
it, and where the ticket goes in the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.idnumber import age_on
from portal.accounts.services import lock_patient
from portal.audit.services import record
from portal.booking.timetable import TimetableService
from portal.booking.visits import VisitService
from portal.core.actor import Actor
from portal.core.clock import Clock, aware
from portal.core.errors import RuleError
from portal.core.i18n import format_clock
from portal.core.i18n import gettext as _
from portal.db.transactions import begin_write, insert_if_absent
from portal.queue.models import LATE, ON_TIME, RETURNED, WAITING, Queue, Ticket
from portal.queue.services.changes import CHECKED_IN, Announcer, QueueEvent, bump
from portal.queue.services.numbering import next_number, prefix_for
from portal.queue.services.waiting import WaitingLine
from portal.settings import QueueSettings

if TYPE_CHECKING:
    from portal.accounts.models import Patient
    from portal.booking.models import Appointment


class NoAppointmentToday(RuleError):
    """Check-in refused: the patient has no appointment today (a desk books one; a kiosk sends
    the patient to the registration desk)."""

    def __init__(self) -> None:
        super().__init__(_("No appointment today. The patient can book at the registration desk."))


@dataclass(frozen=True)
class CheckIn:
    """What the desk (and the patient) learn from a check-in."""

    ticket: Ticket
    queue: Queue
    already: bool
    late: bool
    elder_priority: bool
    ahead: int


class CheckInService:
    """Check-in at a desk or a kiosk. Every new ticket bumps its queue's version and is
    announced after the commit."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: QueueSettings,
        clock: Clock,
        timetable: TimetableService,
        announcer: Announcer,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.timetable = timetable
        self.announcer = announcer
        self.visits = VisitService(session, clock=clock)
        self.line = WaitingLine(session, settings)

    async def check_in(self, patient_id: UUID, actor: Actor, touchpoint: str) -> CheckIn:
        """Put a patient with an appointment today in the right queue. Scanning twice gives the
        same ticket; too early is refused with the time to come back; late joins after those on
        time; 80+ go ahead of others in their band; missed-and-back goes to the end."""
        now = self.clock.now()
        await begin_write(self.session)
        try:
            # The patient's row is locked (PostgreSQL; SQLite holds the write lock already) so
            # that the same card scanned twice at once gives one ticket, not two.
            patient = await lock_patient(self.session, patient_id)
            if patient is None:
                raise NoAppointmentToday()
            checkin, event = await self._check_in(patient, actor, touchpoint, now)
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise
        if event is not None:
            self.announcer.publish(checkin.queue.id, event.as_dict())
        return checkin

    async def _check_in(
        self, patient: Patient, actor: Actor, touchpoint: str, now: datetime
    ) -> tuple[CheckIn, QueueEvent | None]:
        appointments = await self.visits.todays_appointments(patient.id)
        if not appointments:
            raise NoAppointmentToday()
        existing = {
            t.appointment_id: t
            for t in await self.session.scalars(
                select(Ticket).where(Ticket.appointment_id.in_([a.id for a in appointments]))
            )
        }
        # The first appointment still to be seen: a finished visit, or a session that has already
        # ended (a missed morning), is skipped so the afternoon's can be checked in.
        session_over = False
        for appointment in appointments:
            ticket = existing.get(appointment.id)
            if appointment.is_completed or (ticket is not None and ticket.is_done):
                continue
            in_line = ticket is not None and ticket.is_in_line
            if not in_line and now >= await self.visits.session_ends_at(appointment.schedule_id):
                session_over = True
                continue
            return await self._check_in_appointment(
                patient, appointment, ticket, actor, touchpoint, now
            )
        if session_over:
            raise RuleError(_("This session is over. Please ask at the registration desk."))
        raise RuleError(_("Today's appointments are all finished."))

    async def _check_in_appointment(
        self,
        patient: Patient,
        appointment: Appointment,
        ticket: Ticket | None,
        actor: Actor,
        touchpoint: str,
        now: datetime,
    ) -> tuple[CheckIn, QueueEvent | None]:
        slot = appointment.slot
        starts, ends = aware(slot.starts_at), aware(slot.ends_at)
        opens = starts - timedelta(minutes=self.settings.checkin_opens_minutes)
        queue = await self._queue_for(appointment)
        elder = age_on(patient.birth_date, self.clock.today()) >= self.settings.elder_priority_age
        if ticket is not None and ticket.is_in_line:  # scanned again: the same ticket
            ahead = await self.line.ahead_of(ticket)
            again = CheckIn(
                ticket,
                queue,
                already=True,
                late=ticket.band != ON_TIME,
                elder_priority=ticket.priority > 0,
                ahead=ahead,
            )
            return again, None
        if now < opens:
            raise RuleError(
                _(
                    "Too early: check-in for this appointment opens at %(time)s. Please come back then.",
                    time=format_clock(self.clock.local(opens)),
                )
            )
        if now >= await self.visits.session_ends_at(appointment.schedule_id):
            raise RuleError(_("This session is over. Please ask at the registration desk."))
        if ticket is not None:  # missed when called, back again: to the end of the queue
            ticket.status, ticket.band, ticket.checked_in_at = WAITING, RETURNED, now
            ticket.called_at = None
        else:
            ticket = Ticket(
                queue_id=queue.id,
                patient_id=patient.id,
                appointment_id=appointment.id,
                number=await next_number(self.session, queue),
                status=WAITING,
                band=LATE if now >= ends else ON_TIME,
                priority=1 if elder else 0,
                slot_starts_at=starts,
                checked_in_at=now,
            )
            self.session.add(ticket)
        await self.visits.mark_checked_in(appointment.id, now)
        version = await bump(self.session, queue)
        await record(
            self.session,
            actor,
            "check_in",
            "accepted",
            touchpoint=touchpoint,
            patient_id=patient.id,
            detail=ticket.number,
            at=now,
        )
        await self.session.flush()
        checkin = CheckIn(
            ticket,
            queue,
            already=False,
            late=ticket.band != ON_TIME,
            elder_priority=elder,
            ahead=await self.line.ahead_of(ticket),
        )
        return checkin, QueueEvent(CHECKED_IN, version, patient=str(patient.id))

    async def _queue_for(self, appointment: Appointment) -> Queue:
        """The session's queue, made by the first check-in of the day (two first check-ins at
        once make one queue: the second insert is ignored)."""
        schedule_id = appointment.schedule_id
        queue = await self.session.scalar(select(Queue).where(Queue.schedule_id == schedule_id))
        if queue is not None:
            return queue
        schedule = appointment.schedule
        department = await self.timetable.department(schedule.department_id)
        await insert_if_absent(
            self.session,
            Queue,
            kind="clinic",
            service_day=schedule.day,
            schedule_id=schedule_id,
            department_id=department.id,
            name=department.name,
            doctor_name=schedule.doctor.name,
            room=schedule.room,
            prefix=prefix_for(department.position),
            version=0,
        )
        return (
            await self.session.scalars(select(Queue).where(Queue.schedule_id == schedule_id))
        ).one()
