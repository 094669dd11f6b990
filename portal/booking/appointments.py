"""Appointments after they are booked, as an account sees them: its family's lists, one
appointment with its bill, and when to arrive or cancel by. (The visit itself: visits.py.)

The bill that goes with an appointment is asked of the payments feature (``BillService``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import FAMILY_TABLES, patient_ids_of
from portal.booking import checks, rules
from portal.booking.models import Appointment, Department, Doctor, Schedule, Slot
from portal.core.clock import Clock
from portal.core.errors import NotFound
from portal.db.generations import KEEP_NOTHING, ReadCache
from portal.payments.services import BillService
from portal.settings import BookingSettings

if TYPE_CHECKING:
    from portal.payments.models import Bill


@dataclass(frozen=True)
class AppointmentLists:
    """One account's appointments, split as patients think of them."""

    upcoming: list[Appointment]
    past: list[Appointment]


APPOINTMENT_TABLES = (
    Appointment.__tablename__,
    Slot.__tablename__,
    Schedule.__tablename__,
    Doctor.__tablename__,
    Department.__tablename__,
    *FAMILY_TABLES,
)
"""What an account's appointment list is read from (an appointment with its slot, session,
doctor, department and patient, for the account's family)."""


class AppointmentService:
    """An account's appointments: the lists, one of them, its bill and its times."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: BookingSettings,
        clock: Clock,
        cache: ReadCache | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.cache = cache or KEEP_NOTHING
        self.bills = BillService(session)

    # -- what an account sees --------------------------------------------------------------------

    async def appointment_of(self, account_id: UUID, appointment_id: UUID) -> Appointment:
        """An appointment of one of this account's family members; ``NotFound`` for anyone
        else's (which must look the same as one that does not exist)."""
        appointment = await self.session.scalar(
            select(Appointment).where(
                Appointment.id == appointment_id,
                Appointment.patient_id.in_(await patient_ids_of(self.session, account_id)),
            )
        )
        if appointment is None:
            raise NotFound()
        return appointment

    async def appointments_of(
        self, account_id: UUID, patient_id: UUID | None = None
    ) -> AppointmentLists:
        """Upcoming (soonest first) and past (latest first) appointments of the family."""
        return self._split(await self._family_appointments(account_id, patient_id))

    async def appointments_on_page(
        self, account_id: UUID, patient_id: UUID | None = None
    ) -> AppointmentLists:
        """``appointments_of`` for a page that only shows them: the family's appointments are
        kept between requests while their tables are unchanged (portal/db/generations.py);
        which are upcoming is worked out on every view. Never for a decision that writes."""
        appointments = await self.cache.get(
            ("appointments", account_id, patient_id),
            APPOINTMENT_TABLES,
            lambda: self._family_appointments(account_id, patient_id),
            self.session,
            rows=lambda kept: kept,
        )
        return self._split(appointments)

    async def _family_appointments(
        self, account_id: UUID, patient_id: UUID | None
    ) -> list[Appointment]:
        """The family's appointments (or one member's), soonest first."""
        family = await patient_ids_of(self.session, account_id)
        statement = (
            select(Appointment)
            .join(Slot, Slot.id == Appointment.slot_id)
            .where(Appointment.patient_id.in_(family))
            .order_by(Slot.starts_at)
        )
        if patient_id is not None:
            statement = statement.where(Appointment.patient_id == patient_id)
        return list(await self.session.scalars(statement))

    def _split(self, appointments: list[Appointment]) -> AppointmentLists:
        now = self.clock.now()
        upcoming: list[Appointment] = []
        past: list[Appointment] = []
        for appointment in appointments:
            if appointment.is_live and rules.aware(appointment.slot.ends_at) > now:
                upcoming.append(appointment)
            else:
                past.append(appointment)
        past.reverse()
        return AppointmentLists(upcoming, past)

    async def bill_of(self, appointment: Appointment) -> Bill | None:
        """The registration bill, as the payments feature keeps it."""
        return await self.bills.bill_for_appointment(appointment.id)

    async def no_show_lock_of(self, patient_id: UUID) -> datetime | None:
        return await checks.no_show_lock_of(
            self.session, patient_id, self.clock.now(), self.settings
        )

    def arrive_by(self, appointment: Appointment) -> datetime:
        """When to be at the hospital: a while before the slot, to check in and find the room."""
        return rules.aware(appointment.slot.starts_at) - timedelta(
            minutes=self.settings.arrive_early_minutes
        )

    def cancel_deadline(self, appointment: Appointment) -> datetime:
        return rules.cancel_deadline(appointment.slot.starts_at, self.settings)

    def can_cancel(self, appointment: Appointment) -> bool:
        return appointment.is_booked and rules.can_cancel(
            appointment.slot.starts_at, self.clock.now(), self.settings
        )
