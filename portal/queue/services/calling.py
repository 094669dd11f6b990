"""Calling patients from the doctor's console: call next, call again, did not come, done.

Every one of them is the same transition (``CallingService._transition``): lock the queue,
find the ticket, check its status, change it, audit it, count the change and announce it after
the commit. A refusal rolls everything back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.services import PatientService
from portal.audit.services import record
from portal.booking.visits import VisitService
from portal.core.actor import Actor
from portal.core.clock import Clock
from portal.core.errors import RuleError
from portal.core.i18n import gettext as _
from portal.core.touchpoints import Touchpoint
from portal.db.transactions import begin_write
from portal.queue.models import CALLED, DONE, MISSED, WAITING, Queue, Ticket
from portal.queue.services.changes import CALLED as CALL_EVENT
from portal.queue.services.changes import CHANGED, Announcer, QueueEvent, bump
from portal.queue.services.waiting import WaitingLine
from portal.settings import QueueSettings

Pick = Callable[[Queue, datetime], Awaitable[Ticket | None]]
"""Finds the ticket a transition is about, in the locked queue (None: nobody to call)."""
Change = Callable[[Ticket, datetime], Awaitable[None]]


class CallingService:
    """The doctor's four buttons, each one transition of one ticket."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: QueueSettings,
        clock: Clock,
        announcer: Announcer,
    ) -> None:
        self.session = session
        self.clock = clock
        self.announcer = announcer
        self.line = WaitingLine(session, settings)
        self.visits = VisitService(session, clock=clock)
        self.patients = PatientService(session)

    async def call_next(
        self, queue_id: UUID, actor: Actor, seen_current: str | None = None
    ) -> Ticket | None:
        """Finish whoever is with the doctor and call the first patient waiting (None: nobody).

        ``seen_current`` is the ticket the console showed as being with the doctor ("" for
        nobody): if that is no longer so (a double click, a second screen), nothing happens, so
        a patient just called is never marked as seen by mistake."""

        async def first_waiting(queue: Queue, now: datetime) -> Ticket | None:
            with_doctor = list(
                await self.session.scalars(
                    select(Ticket).where(Ticket.queue_id == queue.id, Ticket.status == CALLED)
                )
            )
            if seen_current is not None:
                shown = str(with_doctor[0].id) if with_doctor else ""
                if shown != seen_current:
                    raise RuleError(
                        _("The screen was out of date. It now shows the queue as it is.")
                    )
            for current in with_doctor:
                await self._finish(current, now)
            waiting = await self.line.waiting_in(queue.id)
            return waiting[0] if waiting else None

        return await self._transition(
            queue_id,
            actor,
            pick=first_waiting,
            allowed=(WAITING,),
            refusal="",
            change=self._call,
            action="call",
            announces_call=True,
        )

    async def call_again(self, queue_id: UUID, ticket_id: UUID, actor: Actor) -> Ticket:
        async def again(ticket: Ticket, now: datetime) -> None:
            ticket.call_count += 1

        return await self._on_ticket(
            queue_id,
            ticket_id,
            actor,
            allowed=(CALLED,),
            refusal=_("Only the patient being called can be called again."),
            change=again,
            action="call_again",
            announces_call=True,
        )

    async def mark_missed(self, queue_id: UUID, ticket_id: UUID, actor: Actor) -> Ticket:
        """The patient did not come when called. Checking in again puts them at the back."""

        async def missed(ticket: Ticket, now: datetime) -> None:
            ticket.status = MISSED

        return await self._on_ticket(
            queue_id,
            ticket_id,
            actor,
            allowed=(CALLED, WAITING),
            refusal=_("This patient has already been seen."),
            change=missed,
            action="missed",
            announces_call=False,
        )

    async def mark_done(self, queue_id: UUID, ticket_id: UUID, actor: Actor) -> Ticket:
        """The doctor has seen the patient: the ticket is done and the appointment completed."""
        return await self._on_ticket(
            queue_id,
            ticket_id,
            actor,
            allowed=(CALLED,),
            refusal=_("Only the patient being called can be finished."),
            change=self._finish,
            action="done",
            announces_call=False,
        )

    # -- the one transition ---------------------------------------------------------------------

    async def _transition(
        self,
        queue_id: UUID,
        actor: Actor,
        *,
        pick: Pick,
        allowed: Collection[str],
        refusal: str,
        change: Change,
        action: str,
        announces_call: bool,
    ) -> Ticket | None:
        """Lock the queue → find the ticket → check its status → change it → audit → count the
        change, commit, and announce it: a call (number, masked name, room) when
        ``announces_call`` and someone was called, else that the queue changed."""
        await begin_write(self.session)
        try:
            queue = await self._locked_queue(queue_id)
            now = self.clock.now()
            ticket = await pick(queue, now)
            if ticket is not None:
                if ticket.status not in allowed:
                    raise RuleError(refusal)
                await change(ticket, now)
                await record(
                    self.session,
                    actor,
                    action,
                    "accepted",
                    touchpoint=Touchpoint.CLINIC.value,
                    patient_id=ticket.patient_id,
                    detail=ticket.number,
                    at=now,
                )
            event = await self._event(
                queue, await bump(self.session, queue), announces_call, ticket
            )
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise
        self.announcer.publish(queue.id, event.as_dict())
        return ticket

    async def _on_ticket(
        self,
        queue_id: UUID,
        ticket_id: UUID,
        actor: Actor,
        *,
        allowed: Collection[str],
        refusal: str,
        change: Change,
        action: str,
        announces_call: bool,
    ) -> Ticket:
        """A transition of the ticket the console named, which must be in this queue."""

        async def named(queue: Queue, now: datetime) -> Ticket:
            ticket = await self.session.get(Ticket, ticket_id)
            if ticket is None or ticket.queue_id != queue.id:
                raise RuleError(_("This ticket is not in this queue."))
            return ticket

        ticket = await self._transition(
            queue_id,
            actor,
            pick=named,
            allowed=allowed,
            refusal=refusal,
            change=change,
            action=action,
            announces_call=announces_call,
        )
        assert ticket is not None  # ``named`` finds one or refuses
        return ticket

    async def _locked_queue(self, queue_id: UUID) -> Queue:
        queue = await self.session.scalar(
            select(Queue)
            .where(Queue.id == queue_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if queue is None:
            raise RuleError(_("This queue does not exist."))
        return queue

    async def _event(
        self, queue: Queue, version: int, announces_call: bool, ticket: Ticket | None
    ) -> QueueEvent:
        if not announces_call or ticket is None:
            return QueueEvent(CHANGED, version)
        name = await self.patients.masked_name(ticket.patient_id)
        return QueueEvent(CALL_EVENT, version, number=ticket.number, name=name, room=queue.room)

    # -- the changes ------------------------------------------------------------------------------

    async def _call(self, ticket: Ticket, now: datetime) -> None:
        ticket.status, ticket.called_at, ticket.call_count = CALLED, now, ticket.call_count + 1

    async def _finish(self, ticket: Ticket, now: datetime) -> None:
        ticket.status, ticket.done_at = DONE, now
        if ticket.appointment_id:
            await self.visits.mark_completed(ticket.appointment_id)
