"""Missed appointments (爽约): a booked appointment whose time slot has ended without a check-in.

Recording them voids their unpaid bills (through the payments feature); three within the
window pause online booking for the patient (``checks.ensure_not_locked``). A patient who comes
after all, while the session runs, is checked in and the bill reinstated
(``AppointmentService.mark_checked_in``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.booking.models import BOOKED, NO_SHOW, Appointment, Slot
from portal.core.clock import Clock
from portal.db.transactions import begin_write
from portal.payments.services import BillService


class NoShowService:
    """The timed sweep that records missed appointments."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def record_no_shows(self, now: datetime | None = None) -> int:
        """Mark booked appointments whose slot has ended without a check-in as missed, and void
        their unpaid bills. Returns how many were marked. Safe to run anywhere, often.

        The update says which rows it changed (RETURNING), and only those bills are voided: an
        appointment checked in between the look-up and the update keeps its bill."""
        session = self.session
        now = now or self.clock.now()
        await begin_write(session)
        try:
            ended = select(Appointment.id).join(Slot, Slot.id == Appointment.slot_id)
            ended = ended.where(Appointment.status == BOOKED, Slot.ends_at <= now)
            missed = list(await session.scalars(ended))
            if missed:
                missed = list(
                    await session.scalars(
                        update(Appointment)
                        .where(Appointment.id.in_(missed), Appointment.status == BOOKED)
                        .values(status=NO_SHOW)
                        .returning(Appointment.id)
                        .execution_options(synchronize_session=False)
                    )
                )
                await BillService(session).void_unpaid(missed)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        return len(missed)
