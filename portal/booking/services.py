"""Booking, cancelling, check-in and no-shows: the rules, in named methods.

Never oversell: a booking runs in one write transaction (``begin_write``: BEGIN IMMEDIATE on
SQLite) and takes its place with a conditional ``UPDATE slot SET booked = booked + 1 WHERE
booked < capacity``, checking the row count. On PostgreSQL that update waits for, then re-reads,
any concurrent booking of the same slot, so the last place goes to exactly one request; a check
constraint on the table is the last line of defence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from portal.accounts.models import AccountPatient, Patient
from portal.booking import checks, rules
from portal.booking.checks import SlotFull
from portal.booking.models import (
    BOOKED,
    CANCELLED,
    CHECKED_IN,
    NO_SHOW,
    Appointment,
    ReturnedPlace,
    Slot,
)
from portal.booking.places import pass_on_place, send_notices
from portal.clock import Clock
from portal.messaging.services import SmsSender
from portal.payments.models import Bill
from portal.payments.services import bill_for_appointment, registration_bill, void_unpaid_bills
from portal.settings import BookingSettings
from portal.web.forms import RuleError
from portal.web.i18n import format_clock, format_full_date, ngettext
from portal.web.i18n import gettext as _


def as_uuid(value: UUID | str) -> UUID:
    """A UUID from a path or form value; anything else is a 404 (never a 500)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise NotFoundException() from exc


def bill_item_name(slot: Slot) -> str:
    """How a registration appears on the bill, in the hospital's own words."""
    schedule = slot.schedule
    return f"挂号费 {schedule.department.name} {schedule.doctor.name}"


@dataclass(frozen=True)
class AppointmentLists:
    """One account's appointments, split as patients think of them."""

    upcoming: list[Appointment]
    past: list[Appointment]


async def family_patient(session: AsyncSession, account_id: UUID, patient_id: UUID) -> Patient:
    """The patient if this account manages them; a 404 for anyone else's."""
    patient = await session.scalar(
        select(Patient)
        .join(AccountPatient, AccountPatient.patient_id == Patient.id)
        .where(AccountPatient.account_id == account_id, Patient.id == patient_id)
    )
    if patient is None:
        raise NotFoundException()
    return patient


def add_appointment(
    session: AsyncSession,
    slot: Slot,
    patient: Patient,
    account_id: UUID,
    now: datetime,
    *,
    source: str,
) -> Appointment:
    """A new appointment and its unpaid registration bill, added to the session (not yet
    flushed). The caller has taken the place in the slot, or is about to."""
    schedule = slot.schedule
    appointment = Appointment(
        id=uuid7(),
        slot_id=slot.id,
        schedule_id=schedule.id,
        department_id=schedule.department_id,
        patient_id=patient.id,
        account_id=account_id,
        visit_day=schedule.day,
        status=BOOKED,
        fee_cents=schedule.fee_cents,
        source=source,
        booked_at=now,
    )
    appointment.slot = slot
    appointment.patient = patient
    session.add(appointment)
    session.add(
        registration_bill(
            patient_id=patient.id,
            account_id=account_id,
            appointment_id=appointment.id,
            fee_cents=schedule.fee_cents,
            item_name=bill_item_name(slot),
        )
    )
    return appointment


class AppointmentRepository(SQLAlchemyAsyncRepository[Appointment]):
    model_type = Appointment


class BookingService(SQLAlchemyAsyncRepositoryService[Appointment]):
    """Book a slot, cancel, check in, record no-shows; look up an account's appointments."""

    repository_type = AppointmentRepository

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: BookingSettings,
        clock: Clock,
        sms_sender: SmsSender | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(session=session)
        self.settings = settings
        self.clock = clock
        self.sms_sender = sms_sender
        self.rng = rng or random.Random()

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    # -- booking ---------------------------------------------------------------------------

    async def book_slot(self, *, account_id: UUID, patient_id: UUID, slot_id: UUID) -> Appointment:
        """Book one place in a slot for a family member of the account.

        Raises ``RuleError`` when a rule says no and ``SlotFull`` when no place is left (also when
        another patient took the last place a moment earlier).
        """
        session = self.session
        now = self.clock.now()
        zone = self.clock.zone
        conflict = ""
        # A slot already full is answered without queueing for the write lock (a surge's losers).
        places = (
            await session.execute(select(Slot.booked, Slot.capacity).where(Slot.id == slot_id))
        ).first()
        if places is None:
            raise NotFoundException()
        if places.booked >= places.capacity:
            await session.rollback()
            raise SlotFull(slot_id)
        await checks.begin_write_and_lock(session, account_id)
        try:
            patient = await self._family_patient(account_id, patient_id)
            slot = await session.get(Slot, slot_id, populate_existing=True)
            if slot is None:
                raise NotFoundException()
            checks.ensure_bookable(slot, now, self.settings, zone)
            if slot.booked >= slot.capacity:
                raise SlotFull(slot.id)
            await checks.ensure_not_locked(session, patient, now, self.settings, zone)
            await checks.ensure_one_per_department_day(session, patient, slot.schedule)
            await checks.ensure_under_account_limit(session, account_id, now, self.settings)
            # Worded now: after a rollback the loaded rows can no longer be read.
            conflict = checks.one_per_day_message(patient, slot.schedule)
            appointment = add_appointment(session, slot, patient, account_id, now, source="online")
            # Take the place last, so the slot's row is locked only for the few milliseconds
            # between this update and the commit.
            taken = await session.execute(
                update(Slot)
                .where(Slot.id == slot.id, Slot.booked < Slot.capacity)
                .values(booked=Slot.booked + 1)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise SlotFull(slot.id)
            await session.commit()
        except IntegrityError as exc:
            # A concurrent request booked this patient into the same department that day.
            await session.rollback()
            if not conflict:
                raise
            raise RuleError(conflict) from exc
        except BaseException:
            await session.rollback()
            raise
        return appointment

    async def _family_patient(self, account_id: UUID, patient_id: UUID) -> Patient:
        return await family_patient(self.session, account_id, patient_id)

    # -- cancelling ------------------------------------------------------------------------

    def arrive_by(self, appointment: Appointment) -> datetime:
        """When to be at the hospital: a while before the slot, to check in and find the room."""
        return rules.aware(appointment.slot.starts_at) - timedelta(
            minutes=self.settings.arrive_early_minutes
        )

    def cancel_deadline(self, appointment: Appointment) -> datetime:
        return rules.cancel_deadline(appointment.slot.starts_at, self.settings)

    def can_cancel(self, appointment: Appointment) -> bool:
        return appointment.status == BOOKED and rules.can_cancel(
            appointment.slot.starts_at, self.clock.now(), self.settings
        )

    async def cancel_appointment(self, *, account_id: UUID, appointment_id: UUID) -> Appointment:
        """Cancel before the cut-off. The bill is voided; the place goes to the first patient
        waiting, or back on sale after a short random delay."""
        session = self.session
        now = self.clock.now()
        appointment = await self.appointment_of(account_id, appointment_id)
        if appointment.status != BOOKED:
            raise RuleError(
                _("This appointment can no longer be cancelled: it is not an upcoming booking.")
            )
        if not rules.can_cancel(appointment.slot.starts_at, now, self.settings):
            deadline = self.clock.local(self.cancel_deadline(appointment))
            raise RuleError(
                _(
                    "Online cancelling closed at %(time)s on %(date)s, %(cutoff)s before your time. If you "
                    "cannot come, please tell the hospital's service desk, so the place can go to someone else.",
                    time=format_clock(deadline),
                    date=format_full_date(deadline.date()),
                    cutoff=cutoff_words(self.settings.cancel_cutoff_minutes),
                )
            )
        await checks.begin_write_and_lock(session, account_id)
        try:
            changed = await session.execute(
                update(Appointment)
                .where(Appointment.id == appointment.id, Appointment.status == BOOKED)
                .values(status=CANCELLED, cancelled_at=now)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise RuleError(_("This appointment was already cancelled."))
            await void_unpaid_bills(session, [appointment.id])
            place = ReturnedPlace(slot_id=appointment.slot_id, schedule_id=appointment.schedule_id)
            place.slot = appointment.slot
            session.add(place)
            await session.flush()
            notices = await pass_on_place(session, place, now, self.settings, self.clock, self.rng)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        appointment.status, appointment.cancelled_at = CANCELLED, now
        await send_notices(session, self.sms_sender, notices)
        return appointment

    # -- the visit -------------------------------------------------------------------------

    async def check_in(self, appointment_id: UUID) -> Appointment:
        """Mark a patient as arrived (the queue feature calls this when the e-card is scanned)."""
        session = self.session
        now = self.clock.now()
        appointment = await session.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFoundException()
        if appointment.status == CHECKED_IN:
            return appointment
        if appointment.status != BOOKED:
            raise RuleError(_("This appointment is not waiting for check-in."))
        if appointment.visit_day != self.clock.today():
            raise RuleError(_("Check-in is on the day of the appointment."))
        await session.execute(
            update(Appointment)
            .where(Appointment.id == appointment.id, Appointment.status == BOOKED)
            .values(status=CHECKED_IN, checked_in_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        await session.refresh(appointment)
        return appointment

    async def record_no_shows(self, now: datetime | None = None) -> int:
        """Mark booked appointments whose slot has ended without a check-in as missed (爽约),
        and void their unpaid bills. Returns how many were marked. Safe to run anywhere, often."""
        session = self.session
        now = now or self.clock.now()
        await checks.begin_write(session)
        try:
            missed = list(
                await session.scalars(
                    select(Appointment.id)
                    .join(Slot, Slot.id == Appointment.slot_id)
                    .where(Appointment.status == BOOKED, Slot.ends_at <= now)
                )
            )
            if missed:
                await session.execute(
                    update(Appointment)
                    .where(Appointment.id.in_(missed), Appointment.status == BOOKED)
                    .values(status=NO_SHOW)
                    .execution_options(synchronize_session=False)
                )
                await void_unpaid_bills(session, missed)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        return len(missed)

    # -- looking up ------------------------------------------------------------------------

    async def appointment_of(self, account_id: UUID, appointment_id: UUID | str) -> Appointment:
        """An appointment of one of this account's family members; 404 for anyone else's."""
        appointment = await self.session.scalar(
            select(Appointment)
            .join(AccountPatient, AccountPatient.patient_id == Appointment.patient_id)
            .where(
                Appointment.id == as_uuid(appointment_id),
                AccountPatient.account_id == account_id,
            )
        )
        if appointment is None:
            raise NotFoundException()
        return appointment

    async def appointments_of(
        self, account_id: UUID, patient_id: UUID | None = None
    ) -> AppointmentLists:
        """Upcoming (soonest first) and past (latest first) appointments of the family."""
        statement = (
            select(Appointment)
            .join(AccountPatient, AccountPatient.patient_id == Appointment.patient_id)
            .join(Slot, Slot.id == Appointment.slot_id)
            .where(AccountPatient.account_id == account_id)
            .order_by(Slot.starts_at)
        )
        if patient_id is not None:
            statement = statement.where(Appointment.patient_id == patient_id)
        now = self.clock.now()
        upcoming: list[Appointment] = []
        past: list[Appointment] = []
        for appointment in await self.session.scalars(statement):
            still_to_come = rules.aware(appointment.slot.ends_at) > now
            if still_to_come and appointment.status in (BOOKED, CHECKED_IN):
                upcoming.append(appointment)
            else:
                past.append(appointment)
        past.reverse()
        return AppointmentLists(upcoming, past)

    async def bill_of(self, appointment: Appointment) -> Bill | None:
        return await bill_for_appointment(self.session, appointment.id)

    async def no_show_lock_of(self, patient_id: UUID) -> datetime | None:
        return await checks.no_show_lock_of(
            self.session, patient_id, self.clock.now(), self.settings
        )


def cutoff_words(minutes: int) -> str:
    """120 → "2 hours"; 90 → "90 minutes"."""
    if minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)
