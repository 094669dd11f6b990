"""The visit: booking records that a patient arrived and was seen, whoever scans the card.

The queue asks ``mark_checked_in`` when it gives a ticket and ``mark_completed`` when the doctor
is done, and finds the patient's appointments through ``todays_appointments``: one set of
check-in rules, here. A missed appointment's bill is reinstated through the payments feature
(``BillService``), never written here.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.booking import rules
from portal.booking.models import BOOKED, CHECKED_IN, COMPLETED, NO_SHOW, Appointment, Slot
from portal.core.clock import Clock
from portal.core.errors import NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.payments.services import BillService

# Today's appointments a check-in considers (cancelled ones are gone for good).
ON_THE_DAY = (BOOKED, CHECKED_IN, NO_SHOW, COMPLETED)


class VisitService:
    """Arrival (check-in) and the end of the visit, and the look-ups a check-in desk needs."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.bills = BillService(session)

    # -- the visit (the queue asks) ------------------------------------------------------------

    async def todays_appointments(self, patient_id: UUID) -> list[Appointment]:
        """The patient's appointments today that a check-in may concern (all but cancelled
        ones), earliest time first."""
        result = await self.session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.visit_day == self.clock.today(),
                Appointment.status.in_(ON_THE_DAY),
            )
            .order_by(Appointment.created_at)
        )
        return sorted(result.all(), key=lambda a: rules.aware(a.slot.starts_at))

    async def session_ends_at(self, schedule_id: UUID) -> datetime:
        """When the doctor's session ends: the end of its last time slot."""
        last = await self.session.scalar(
            select(func.max(Slot.ends_at)).where(Slot.schedule_id == schedule_id)
        )
        return rules.aware(last) if last else self.clock.now()

    async def mark_checked_in(self, appointment_id: UUID, at: datetime) -> Appointment:
        """The patient has arrived for this appointment (their card was scanned): the check-in
        rules, in one place.

        - Check-in is on the day of the appointment.
        - Booked: now checked in, at ``at``.
        - Already checked in: nothing changes (a second scan, or a patient back after missing
          the call).
        - Recorded as missed (爽约) but the patient came while the session still runs: checked in
          after all, no longer a missed appointment, and its voided bill is to be paid again.
        - Cancelled or already seen by the doctor: refused.

        Runs inside the caller's write transaction and does not commit: the caller's own record
        of the arrival (the queue's ticket) and this change commit together or not at all. The
        appointment's row is locked first, so a no-show sweep at the same moment cannot slip in
        between reading its status and writing it.
        """
        appointment = await self.session.scalar(
            select(Appointment)
            .where(Appointment.id == appointment_id)
            .with_for_update(of=Appointment)  # its row only, not the joined slot or patient
            .execution_options(populate_existing=True)
        )
        if appointment is None:
            raise NotFound()
        if appointment.visit_day != self.clock.local(at).date():
            raise RuleError(_("Check-in is on the day of the appointment."))
        if appointment.status == CHECKED_IN:
            return appointment
        if appointment.status == NO_SHOW:
            if at >= await self.session_ends_at(appointment.schedule_id):
                raise RuleError(_("This session is over. Please ask at the registration desk."))
            await self.bills.reinstate_voided(appointment.id)
        elif appointment.status != BOOKED:
            raise RuleError(_("This appointment is not waiting for check-in."))
        appointment.status, appointment.checked_in_at = CHECKED_IN, at
        await self.session.flush()
        return appointment

    async def mark_completed(self, appointment_id: UUID) -> bool:
        """The doctor has seen the patient: a checked-in appointment is completed. Returns
        False when the appointment was not checked in (nothing changes then).

        Like ``mark_checked_in``, inside the caller's transaction, without committing."""
        result = await self.session.execute(
            update(Appointment)
            .where(Appointment.id == appointment_id, Appointment.status == CHECKED_IN)
            .values(status=COMPLETED)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
