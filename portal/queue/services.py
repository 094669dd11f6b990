"""Queue rules: check-in by scan, calling the next patient, and what phones and boards show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from litestar.channels import ChannelsPlugin
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.idnumber import age_on
from portal.accounts.models import AccountPatient, Patient
from portal.audit.services import Actor, record
from portal.booking.models import (
    BOOKED,
    CHECKED_IN,
    COMPLETED,
    NO_SHOW,
    Appointment,
    Department,
    Schedule,
    Slot,
)
from portal.clock import Clock
from portal.db.transactions import begin_write, insert_if_absent
from portal.payments.models import UNPAID, VOID, Bill
from portal.queue import ordering
from portal.queue.events import publish
from portal.queue.models import (
    CALLED,
    DONE,
    LATE,
    MISSED,
    ON_TIME,
    RETURNED,
    WAITING,
    Queue,
    Ticket,
    TicketCounter,
)
from portal.settings import QueueSettings
from portal.web.forms import RuleError
from portal.web.i18n import format_clock
from portal.web.i18n import gettext as _
from portal.web.masking import mask_name

PREFIXES = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read like 1 and 0 on a board


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AccountSnapshot:
    fingerprint: str
    queues: dict[str, int]
    patients: frozenset[str]


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


@dataclass(frozen=True)
class TicketStatus:
    """One ticket as the patient's phone shows it."""

    ticket: Ticket
    queue: Queue
    patient_name: str
    ahead: int
    wait_minutes: int
    now_serving: str | None

    @property
    def called(self) -> bool:
        return self.ticket.status == CALLED

    @property
    def waiting(self) -> bool:
        return self.ticket.status == WAITING


class QueueService:
    """Check-in, calling, and the views of a queue. Every change bumps the queue's version and
    is published to its channel after the commit."""

    def __init__(
        self,
        session: AsyncSession,
        settings: QueueSettings,
        clock: Clock,
        channels: ChannelsPlugin | None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.channels = channels

    # -- check-in ---------------------------------------------------------------------------

    async def todays_appointments(self, patient_id: UUID) -> list[Appointment]:
        today = self.clock.today()
        result = await self.session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.visit_day == today,
                Appointment.status.in_((BOOKED, CHECKED_IN, NO_SHOW, COMPLETED)),
            )
            .order_by(Appointment.created_at)
        )
        return sorted(result.all(), key=lambda a: _aware(a.slot.starts_at))

    async def _queue_for(self, schedule: Schedule) -> Queue:
        """The session's queue, made by the first check-in of the day (two first check-ins at
        once make one queue: the second insert is ignored)."""
        queue = await self.session.scalar(select(Queue).where(Queue.schedule_id == schedule.id))
        if queue is not None:
            return queue
        department = await self.session.get_one(Department, schedule.department_id)
        await insert_if_absent(
            self.session,
            Queue,
            kind="clinic",
            service_day=schedule.day,
            schedule_id=schedule.id,
            department_id=department.id,
            name=department.name,
            doctor_name=schedule.doctor.name,
            room=schedule.room,
            prefix=PREFIXES[department.position % len(PREFIXES)],
            version=0,
        )
        return (
            await self.session.scalars(select(Queue).where(Queue.schedule_id == schedule.id))
        ).one()

    async def _next_number(self, queue: Queue) -> str:
        """The next number for the queue's prefix today, counted in one atomic update."""
        await insert_if_absent(
            self.session, TicketCounter, day=queue.service_day, prefix=queue.prefix, last=0
        )
        last = await self.session.scalar(
            update(TicketCounter)
            .where(TicketCounter.day == queue.service_day, TicketCounter.prefix == queue.prefix)
            .values(last=TicketCounter.last + 1)
            .returning(TicketCounter.last)
        )
        return f"{queue.prefix}{last:03d}"

    async def _bump(self, queue: Queue) -> int:
        """Count one change of the queue in the database itself (never lost to a stale object)."""
        version = await self.session.scalar(
            update(Queue)
            .where(Queue.id == queue.id)
            .values(version=Queue.version + 1)
            .returning(Queue.version)
            .execution_options(synchronize_session=False)
        )
        queue.version = int(version or 0)
        return queue.version

    async def session_end(self, schedule_id: UUID) -> datetime:
        last = await self.session.scalar(
            select(func.max(Slot.ends_at)).where(Slot.schedule_id == schedule_id)
        )
        return _aware(last) if last else self.clock.now()

    async def check_in(self, patient_id: UUID, actor: Actor, touchpoint: str) -> CheckIn:
        """Put a patient with an appointment today in the right queue. Scanning twice gives the
        same ticket; too early is refused with the time to come back; late joins after those on
        time; 80+ go ahead of others in their band; missed-and-back goes to the end."""
        now = self.clock.now()
        await begin_write(self.session)
        try:
            # The patient's row is locked (PostgreSQL; SQLite holds the write lock already) so
            # that the same card scanned twice at once gives one ticket, not two.
            patient = await self.session.scalar(
                select(Patient)
                .where(Patient.id == patient_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if patient is None:
                raise NoAppointmentToday()
            return await self._check_in(patient, actor, touchpoint, now)
        except BaseException:
            await self.session.rollback()
            raise

    async def _check_in(
        self, patient: Patient, actor: Actor, touchpoint: str, now: datetime
    ) -> CheckIn:
        appointments = await self.todays_appointments(patient.id)
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
            if appointment.status == COMPLETED or (ticket is not None and ticket.status == DONE):
                continue
            waiting_or_called = ticket is not None and ticket.status in (WAITING, CALLED)
            if not waiting_or_called and now >= await self.session_end(appointment.schedule_id):
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
    ) -> CheckIn:
        slot = appointment.slot
        starts, ends = _aware(slot.starts_at), _aware(slot.ends_at)
        opens = starts - timedelta(minutes=self.settings.checkin_opens_minutes)
        schedule = await self.session.get_one(Schedule, appointment.schedule_id)
        queue = await self._queue_for(schedule)
        elder = age_on(patient.birth_date, self.clock.today()) >= self.settings.elder_priority_age
        if ticket is not None and ticket.status in (WAITING, CALLED):
            await self.session.commit()
            return CheckIn(
                ticket,
                queue,
                already=True,
                late=ticket.band != ON_TIME,
                elder_priority=ticket.priority > 0,
                ahead=await self.ahead_of(ticket),
            )
        if now < opens:
            raise RuleError(
                _(
                    "Too early: check-in for this appointment opens at %(time)s. Please come back then.",
                    time=format_clock(self.clock.local(opens)),
                )
            )
        if now >= await self.session_end(schedule.id):
            raise RuleError(_("This session is over. Please ask at the registration desk."))
        late = now >= ends
        if ticket is not None:  # missed when called, back again: to the end of the queue
            ticket.status, ticket.band, ticket.checked_in_at = WAITING, RETURNED, now
            ticket.called_at = None
        else:
            ticket = Ticket(
                queue_id=queue.id,
                patient_id=patient.id,
                appointment_id=appointment.id,
                number=await self._next_number(queue),
                status=WAITING,
                band=LATE if late else ON_TIME,
                priority=1 if elder else 0,
                slot_starts_at=starts,
                checked_in_at=now,
            )
            self.session.add(ticket)
        if appointment.status in (BOOKED, NO_SHOW):
            if appointment.status == NO_SHOW:  # came after all, within the session: not a no-show
                await self.session.execute(
                    update(Bill)
                    .where(Bill.appointment_id == appointment.id, Bill.status == VOID)
                    .values(status=UNPAID)
                    .execution_options(synchronize_session=False)
                )
            appointment.status, appointment.checked_in_at = CHECKED_IN, now
        await self._bump(queue)
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
        ahead = await self.ahead_of(ticket)
        await self.session.commit()
        publish(
            self.channels,
            queue.id,
            {"kind": "checked_in", "version": queue.version, "patient": str(patient.id)},
        )
        return CheckIn(
            ticket,
            queue,
            already=False,
            late=ticket.band != ON_TIME,
            elder_priority=elder,
            ahead=ahead,
        )

    # -- order and estimates ------------------------------------------------------------------

    async def waiting_in(self, queue_id: UUID) -> list[Ticket]:
        tickets = await self.session.scalars(
            select(Ticket).where(Ticket.queue_id == queue_id, Ticket.status == WAITING)
        )
        return ordering.in_order(list(tickets.all()))

    async def ahead_of(self, ticket: Ticket) -> int:
        if ticket.status != WAITING:
            return 0
        waiting = await self.waiting_in(ticket.queue_id)
        return next((i for i, t in enumerate(waiting) if t.id == ticket.id), len(waiting))

    async def per_patient(self, queue_id: UUID) -> timedelta:
        rows = await self.session.execute(
            select(Ticket.called_at, Ticket.done_at)
            .where(
                Ticket.queue_id == queue_id, Ticket.status == DONE, Ticket.called_at.is_not(None)
            )
            .order_by(Ticket.done_at.desc())
            .limit(ordering.RECENT)
        )
        durations = [_aware(done) - _aware(called) for called, done in rows if called and done]
        return ordering.service_time(
            list(reversed(durations)), timedelta(minutes=self.settings.default_service_minutes)
        )

    # -- calling ------------------------------------------------------------------------------

    async def _locked_queue(self, queue_id: UUID) -> Queue:
        await begin_write(self.session)
        queue = await self.session.scalar(
            select(Queue)
            .where(Queue.id == queue_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if queue is None:
            await self.session.rollback()
            raise RuleError(_("This queue does not exist."))
        return queue

    async def _announce(self, queue: Queue, kind: str, ticket: Ticket | None) -> None:
        await self._bump(queue)
        event: dict[str, Any] = {"kind": kind, "version": queue.version}
        if ticket is not None:
            patient = await self.session.get_one(Patient, ticket.patient_id)
            event.update(number=ticket.number, name=mask_name(patient.name), room=queue.room)
        await self.session.commit()
        publish(self.channels, queue.id, event)

    async def call_next(
        self, queue_id: UUID, actor: Actor, seen_current: str | None = None
    ) -> Ticket | None:
        """Finish whoever is with the doctor and call the first patient waiting (None: nobody).

        ``seen_current`` is the ticket the console showed as being with the doctor ("" for
        nobody): if that is no longer so (a double click, a second screen), nothing happens, so
        a patient just called is never marked as seen by mistake."""
        queue = await self._locked_queue(queue_id)
        now = self.clock.now()
        if seen_current is not None:
            current_id = await self.session.scalar(
                select(Ticket.id)
                .where(Ticket.queue_id == queue.id, Ticket.status == CALLED)
                .limit(1)
            )
            if (str(current_id) if current_id else "") != seen_current:
                await self.session.rollback()
                raise RuleError(_("The screen was out of date. It now shows the queue as it is."))
        for current in await self.session.scalars(
            select(Ticket).where(Ticket.queue_id == queue.id, Ticket.status == CALLED)
        ):
            await self._finish(current, now)
        waiting = await self.waiting_in(queue.id)
        ticket = waiting[0] if waiting else None
        if ticket is not None:
            ticket.status, ticket.called_at, ticket.call_count = CALLED, now, ticket.call_count + 1
            await record(
                self.session,
                actor,
                "call",
                "accepted",
                touchpoint="clinic",
                patient_id=ticket.patient_id,
                detail=ticket.number,
                at=now,
            )
        await self._announce(queue, "called" if ticket else "changed", ticket)
        return ticket

    async def _finish(self, ticket: Ticket, now: datetime) -> None:
        ticket.status, ticket.done_at = DONE, now
        if ticket.appointment_id:
            await self.session.execute(
                update(Appointment)
                .where(Appointment.id == ticket.appointment_id)
                .values(status=COMPLETED)
                .execution_options(synchronize_session=False)
            )

    async def _ticket_in(self, queue: Queue, ticket_id: UUID) -> Ticket:
        ticket = await self.session.get(Ticket, ticket_id)
        if ticket is None or ticket.queue_id != queue.id:
            await self.session.rollback()
            raise RuleError(_("This ticket is not in this queue."))
        return ticket

    async def call_again(self, queue_id: UUID, ticket_id: UUID, actor: Actor) -> Ticket:
        queue = await self._locked_queue(queue_id)
        ticket = await self._ticket_in(queue, ticket_id)
        if ticket.status != CALLED:
            await self.session.rollback()
            raise RuleError(_("Only the patient being called can be called again."))
        ticket.call_count += 1
        await record(
            self.session,
            actor,
            "call_again",
            "accepted",
            touchpoint="clinic",
            patient_id=ticket.patient_id,
            detail=ticket.number,
            at=self.clock.now(),
        )
        await self._announce(queue, "called", ticket)
        return ticket

    async def mark_missed(self, queue_id: UUID, ticket_id: UUID, actor: Actor) -> Ticket:
        """The patient did not come when called. Checking in again puts them at the back."""
        queue = await self._locked_queue(queue_id)
        ticket = await self._ticket_in(queue, ticket_id)
        if ticket.status not in (CALLED, WAITING):
            await self.session.rollback()
            raise RuleError(_("This patient has already been seen."))
        ticket.status = MISSED
        await record(
            self.session,
            actor,
            "missed",
            "accepted",
            touchpoint="clinic",
            patient_id=ticket.patient_id,
            detail=ticket.number,
            at=self.clock.now(),
        )
        await self._announce(queue, "changed", None)
        return ticket

    async def mark_done(self, queue_id: UUID, ticket_id: UUID, actor: Actor) -> Ticket:
        queue = await self._locked_queue(queue_id)
        ticket = await self._ticket_in(queue, ticket_id)
        if ticket.status != CALLED:
            await self.session.rollback()
            raise RuleError(_("Only the patient being called can be finished."))
        await self._finish(ticket, self.clock.now())
        await record(
            self.session,
            actor,
            "done",
            "accepted",
            touchpoint="clinic",
            patient_id=ticket.patient_id,
            detail=ticket.number,
            at=self.clock.now(),
        )
        await self._announce(queue, "changed", None)
        return ticket

    # -- what people see ----------------------------------------------------------------------

    async def queues_today(self) -> list[Queue]:
        result = await self.session.scalars(
            select(Queue)
            .where(Queue.service_day == self.clock.today())
            .order_by(Queue.prefix, Queue.room)
        )
        return list(result.all())

    async def tickets_for_account(self, account_id: UUID) -> list[TicketStatus]:
        """Today's tickets of every patient this account manages, with place and estimate."""
        today = self.clock.today()
        rows = (
            await self.session.execute(
                select(Ticket, Queue, Patient)
                .join(Queue, Queue.id == Ticket.queue_id)
                .join(Patient, Patient.id == Ticket.patient_id)
                .join(AccountPatient, AccountPatient.patient_id == Ticket.patient_id)
                .where(AccountPatient.account_id == account_id, Queue.service_day == today)
                .order_by(Ticket.checked_in_at)
            )
        ).all()
        statuses = []
        for ticket, queue, patient in rows:
            ahead = await self.ahead_of(ticket)
            serving = await self.session.scalar(
                select(Ticket.number)
                .where(Ticket.queue_id == queue.id, Ticket.status == CALLED)
                .order_by(Ticket.called_at.desc())
                .limit(1)
            )
            wait = (
                ordering.estimated_wait(
                    ahead + (1 if serving and ticket.status == WAITING else 0),
                    await self.per_patient(queue.id),
                )
                if ticket.status == WAITING
                else 0
            )
            statuses.append(
                TicketStatus(ticket, queue, mask_name(patient.name), ahead, wait, serving)
            )
        return statuses

    async def account_snapshot(self, account_id: UUID) -> AccountSnapshot:
        """A short fingerprint of everything the account's queue page shows (for ETag/304), and
        what it depends on: the queues its tickets are in and the patients it manages."""
        today = self.clock.today()
        rows = (
            await self.session.execute(
                select(Ticket.id, Ticket.status, Queue.id, Queue.version)
                .join(Queue, Queue.id == Ticket.queue_id)
                .join(AccountPatient, AccountPatient.patient_id == Ticket.patient_id)
                .where(AccountPatient.account_id == account_id, Queue.service_day == today)
                .order_by(Ticket.id)
            )
        ).all()
        patients = await self.session.scalars(
            select(AccountPatient.patient_id).where(AccountPatient.account_id == account_id)
        )
        fingerprint = "-".join(
            f"{str(tid)[-6:]}{status[0]}{version}" for tid, status, _q, version in rows
        )
        return AccountSnapshot(
            fingerprint=fingerprint or "none",
            queues={str(queue_id): version for _t, _s, queue_id, version in rows},
            patients=frozenset(str(p) for p in patients),
        )

    async def account_version(self, account_id: UUID) -> str:
        return (await self.account_snapshot(account_id)).fingerprint

    async def board(self, queue_id: UUID, recent: int = 5) -> dict[str, Any]:
        """What the waiting-room screen shows: who is called, the last few, who is next."""
        queue = await self.session.get(Queue, queue_id)
        if queue is None:
            raise RuleError(_("This queue does not exist."))
        called_rows = (
            await self.session.execute(
                select(Ticket, Patient)
                .join(Patient, Patient.id == Ticket.patient_id)
                .where(Ticket.queue_id == queue.id, Ticket.called_at.is_not(None))
                .order_by(Ticket.called_at.desc())
                .limit(recent + 1)
            )
        ).all()
        names = {t.id: mask_name(p.name) for t, p in called_rows}
        current = next(((t, names[t.id]) for t, _p in called_rows if t.status == CALLED), None)
        earlier = [
            (t, names[t.id]) for t, _p in called_rows if current is None or t.id != current[0].id
        ][:recent]
        waiting = await self.waiting_in(queue.id)
        patients = {
            p.id: p
            for p in await self.session.scalars(
                select(Patient).where(Patient.id.in_([t.patient_id for t in waiting[:3]]))
            )
        }
        upcoming = [(t, mask_name(patients[t.patient_id].name)) for t in waiting[:3]]
        return {
            "queue": queue,
            "current": current,
            "earlier": earlier,
            "upcoming": upcoming,
            "waiting_count": len(waiting),
        }

    async def overview(self) -> list[dict[str, Any]]:
        """Every department's waiting count and estimated wait today (the public page)."""
        queues = await self.queues_today()
        departments: dict[str, dict[str, Any]] = {}
        for queue in queues:
            waiting = await self.session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.queue_id == queue.id, Ticket.status == WAITING)
            )
            per = await self.per_patient(queue.id)
            entry = departments.setdefault(
                queue.name, {"name": queue.name, "waiting": 0, "rooms": []}
            )
            entry["waiting"] += waiting or 0
            entry["rooms"].append(
                {
                    "room": queue.room,
                    "doctor": queue.doctor_name,
                    "waiting": waiting or 0,
                    "minutes": ordering.estimated_wait(waiting or 0, per),
                    "queue": queue,
                }
            )
        for entry in departments.values():
            entry["minutes"] = max((r["minutes"] for r in entry["rooms"]), default=0)
        return sorted(departments.values(), key=lambda d: d["name"])

    async def today_version(self) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Queue.version), 0)).where(
                Queue.service_day == self.clock.today()
            )
        )
        return int(total or 0)
