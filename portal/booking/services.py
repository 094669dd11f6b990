"""Booking and cancelling: the rules, in named methods. (After booking: appointments.py; missed
appointments: noshows.py; the waitlist: waitlist.py.)

Never oversell: a booking runs in one write transaction (``begin_write``: BEGIN IMMEDIATE on
SQLite) and takes its place with a conditional ``UPDATE slot SET booked = booked + 1 WHERE
booked < capacity``, checking the row count. On PostgreSQL that update waits for, then re-reads,
any concurrent booking of the same slot, so the last place goes to exactly one request; a check
constraint on the table is the last line of defence.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from portal.accounts.lookups import manages
from portal.accounts.services import PatientService
from portal.booking import checks, rules
from portal.booking.appointments import AppointmentService
from portal.booking.checks import SlotFull
from portal.booking.fullness import FullSlotReadings
from portal.booking.labels import cutoff_words
from portal.booking.models import BOOKED, CANCELLED, Appointment, ReturnedPlace, Slot
from portal.booking.places import pass_on_place, send_notices
from portal.core.clock import Clock
from portal.core.errors import NotFound, RuleError
from portal.core.i18n import format_clock, format_full_date
from portal.core.i18n import gettext as _
from portal.db.transactions import writers_turn
from portal.messaging.services import SmsSender
from portal.payments.services import BillService
from portal.settings import BookingSettings

if TYPE_CHECKING:
    from portal.accounts.models import Patient


def bill_item_name(slot: Slot) -> str:
    """How a registration appears on the bill, in the hospital's own words."""
    schedule = slot.schedule
    return f"挂号费 {schedule.department.name} {schedule.doctor.name}"


async def family_patient(session: AsyncSession, account_id: UUID, patient_id: UUID) -> Patient:
    """The patient if this account manages them; ``NotFound`` for anyone else's."""
    return (await PatientService(session).member_of(account_id, patient_id)).patient


async def add_appointment(
    session: AsyncSession,
    slot: Slot,
    patient: Patient,
    account_id: UUID,
    now: datetime,
    *,
    source: str,
) -> Appointment:
    """A new appointment and its unpaid registration bill (asked of the payments feature), in
    the session. The caller has taken the place in the slot, or is about to.

    The appointment is flushed at once: the bill points at its row. A concurrent booking of the
    same patient into the same department that day fails here, on the unique index."""
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
    await session.flush()
    BillService(session).add_registration_bill(
        patient_id=patient.id,
        account_id=account_id,
        appointment_id=appointment.id,
        fee_cents=schedule.fee_cents,
        item_name=bill_item_name(slot),
    )
    return appointment


class BookingService:
    """Book a slot for a family member; cancel before the cut-off."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: BookingSettings,
        clock: Clock,
        sms_sender: SmsSender | None = None,
        rng: random.Random | None = None,
        full_slots: FullSlotReadings | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.sms_sender = sms_sender
        self.rng = rng or random.Random()
        self.full_slots = full_slots
        """Readings for the "now full" page this process keeps: a booking makes them stale."""
        self.appointments = AppointmentService(session, settings=settings, clock=clock)

    # -- booking ---------------------------------------------------------------------------

    async def book_slot(self, *, account_id: UUID, patient_id: UUID, slot_id: UUID) -> Appointment:
        """Book one place in a slot for a family member of the account.

        Raises ``RuleError`` when a rule says no, ``SlotFull`` when no place is left (also when
        another patient took the last place a moment earlier) and ``NotFound`` for a slot that
        does not exist or a patient the account does not manage.

        Asking again for a place the patient already holds in this slot (a second tap, or a retry
        after the answer was lost to a dropped connection or a server restart) returns that
        appointment: neither "full" nor "already booked" for a place that is theirs.
        """
        # A slot already full is answered without waiting for a turn to write (a surge's losers).
        held = await self._held_if_full(account_id, patient_id, slot_id)
        if held is not None:
            return held
        async with writers_turn(self.session) as took_turn:
            # In this process's turn (SQLite): the writers before may have filled it meanwhile.
            if took_turn:
                held = await self._held_if_full(account_id, patient_id, slot_id)
                if held is not None:
                    return held
            return await self._book_slot(account_id, patient_id, slot_id)

    async def _held_if_full(
        self, account_id: UUID, patient_id: UUID, slot_id: UUID
    ) -> Appointment | None:
        """For a full slot, the patient's own place in it (else ``SlotFull``); None while places
        are left. One question: the slot's places and whether the patient holds one of them."""
        session = self.session
        places = (
            await session.execute(
                select(
                    Slot.booked,
                    Slot.capacity,
                    checks.holding(patient_id, slot_id).scalar_subquery().label("held"),
                ).where(Slot.id == slot_id)
            )
        ).first()
        if places is None:
            raise NotFound()
        if places.booked < places.capacity:
            await session.commit()  # a read: ends the transaction before the write begins
            return None
        held = None
        if places.held is not None and await manages(session, account_id, patient_id):
            held = await session.get(Appointment, places.held)
        await session.commit()  # a read: ends the transaction, keeps what it loaded
        if held is not None:
            return held
        raise SlotFull(slot_id)

    async def _book_slot(self, account_id: UUID, patient_id: UUID, slot_id: UUID) -> Appointment:
        session = self.session
        now = self.clock.now()
        zone = self.clock.zone
        conflict = ""
        await checks.begin_write_and_lock(session, account_id)
        try:
            patient = await family_patient(session, account_id, patient_id)
            # Under the account's lock: a first request of the same booking has committed by now.
            held = await checks.held_in_slot(session, patient.id, slot_id)
            if held is not None:
                await session.commit()
                return held
            slot = await session.get(Slot, slot_id, populate_existing=True)
            if slot is None:
                raise NotFound()
            checks.ensure_bookable(slot, now, self.settings, zone)
            if slot.booked >= slot.capacity:
                raise SlotFull(slot.id)
            await checks.ensure_not_locked(session, patient, now, self.settings, zone)
            await checks.ensure_one_per_department_day(session, patient, slot.schedule)
            await checks.ensure_under_account_limit(session, account_id, now, self.settings)
            # Worded now: after a rollback the loaded rows can no longer be read.
            conflict = checks.one_per_day_message(patient, slot.schedule)
            appointment = await add_appointment(
                session, slot, patient, account_id, now, source="online"
            )
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
            if self.full_slots is not None:
                self.full_slots.forget_department(slot.schedule.department_id)
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

    # -- cancelling ------------------------------------------------------------------------

    async def cancel_appointment(self, *, account_id: UUID, appointment_id: UUID) -> Appointment:
        """Cancel before the cut-off. The bill is voided (paid on the phone, its fee goes back);
        the place goes to the first patient waiting, or back on sale after a short random
        delay."""
        session = self.session
        now = self.clock.now()
        appointment = await self.appointments.appointment_of(account_id, appointment_id)
        if not appointment.is_booked:
            raise RuleError(
                _("This appointment can no longer be cancelled: it is not an upcoming booking.")
            )
        if not rules.can_cancel(appointment.slot.starts_at, now, self.settings):
            deadline = self.clock.local(self.appointments.cancel_deadline(appointment))
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
            bills = BillService(session)
            await bills.void_unpaid([appointment.id])
            await bills.refund_paid([appointment.id])
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
        await send_notices(self.sms_sender, notices)
        return appointment
