"""The checks a booking must pass, shared by booking a slot and accepting a waitlist offer.

Each raises ``RuleError`` with a plain message that says what happened and what to do next.
They run inside the write transaction (see ``begin_write``), after the account row is locked,
so what they read cannot change before the booking commits.
"""

from __future__ import annotations

__all__ = [
    "SlotFull",
    "begin_write",
    "begin_write_and_lock",
    "ensure_bookable",
    "ensure_not_locked",
    "ensure_one_per_department_day",
    "ensure_under_account_limit",
    "held_in_slot",
    "lock_account",
    "no_show_lock_of",
]

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.services import lock_account
from portal.booking import rules
from portal.booking.labels import department_name
from portal.booking.models import (
    BOOKED,
    CHECKED_IN,
    HOLDS_THE_DAY,
    NO_SHOW,
    OPEN,
    Appointment,
    Schedule,
    Slot,
)
from portal.core.errors import RuleError
from portal.core.i18n import format_clock, format_full_date
from portal.core.i18n import gettext as _
from portal.core.masking import mask_name
from portal.db.transactions import begin_write
from portal.settings import BookingSettings

if TYPE_CHECKING:
    from portal.accounts.models import Patient


class SlotFull(Exception):
    """No free place in this slot: it was full already, or another patient was a moment faster."""

    def __init__(self, slot_id: UUID) -> None:
        super().__init__(str(slot_id))
        self.slot_id = slot_id


async def begin_write_and_lock(session: AsyncSession, account_id: UUID) -> None:
    """Start the write transaction of one account's booking action."""
    await begin_write(session)
    await lock_account(session, account_id)


def ensure_bookable(slot: Slot, now: datetime, settings: BookingSettings, zone: ZoneInfo) -> None:
    """The session runs, its places are open, and the time has not begun."""
    schedule = slot.schedule
    if schedule.status != OPEN:
        raise RuleError(
            _(
                "The doctor is not seeing patients in this session. Please choose another day or another doctor."
            )
        )
    if rules.aware(slot.starts_at) <= now:
        raise RuleError(_("This time has already begun. Please choose a later time."))
    if not rules.is_released(schedule.day, now, settings, zone):
        opens = rules.release_moment(schedule.day, settings, zone)
        raise RuleError(
            _(
                "Places for %(day)s open at %(time)s on %(open_day)s. Please come back then.",
                day=format_full_date(schedule.day),
                time=format_clock(opens),
                open_day=format_full_date(opens.date()),
            )
        )


async def no_show_lock_of(
    session: AsyncSession, patient_id: UUID, now: datetime, settings: BookingSettings
) -> datetime | None:
    """Until when a patient may not book because of missed appointments (None: not locked)."""
    since = now - timedelta(days=settings.no_show_window_days + settings.no_show_lock_days)
    ends = await session.scalars(
        select(Slot.ends_at)
        .join(Appointment, Appointment.slot_id == Slot.id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.status == NO_SHOW,
            Slot.ends_at > since,
        )
    )
    return rules.booking_locked_until(list(ends), now, settings)


async def ensure_not_locked(
    session: AsyncSession,
    patient: Patient,
    now: datetime,
    settings: BookingSettings,
    zone: ZoneInfo,
) -> None:
    until = await no_show_lock_of(session, patient.id, now, settings)
    if until is not None:
        raise RuleError(
            _(
                "%(name)s missed %(count)d appointments within %(days)d days without cancelling, so online booking "
                "is paused until %(date)s. If you need to see a doctor sooner, please ask at the service desk.",
                name=mask_name(patient.name),
                count=settings.no_show_limit,
                days=settings.no_show_window_days,
                date=format_full_date(until.astimezone(zone).date()),
            )
        )


async def ensure_one_per_department_day(
    session: AsyncSession, patient: Patient, schedule: Schedule
) -> None:
    """One appointment per patient per department per day (a unique index backs this up)."""
    taken = await session.scalar(
        select(Appointment.id)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.department_id == schedule.department_id,
            Appointment.visit_day == schedule.day,
            Appointment.status.in_(HOLDS_THE_DAY),
        )
        .limit(1)
    )
    if taken is not None:
        raise RuleError(one_per_day_message(patient, schedule))


async def held_in_slot(
    session: AsyncSession, patient_id: UUID, slot_id: UUID
) -> Appointment | None:
    """The patient's live appointment in this very slot, if they hold one (booking the same
    place again answers with it). The caller makes sure the account manages the patient."""
    return await session.scalar(
        select(Appointment).where(Appointment.id == holding(patient_id, slot_id).scalar_subquery())
    )


def holding(patient_id: UUID, slot_id: UUID) -> Select[tuple[UUID]]:
    """The id of the patient's live appointment in this slot (at most one row)."""
    return (
        select(Appointment.id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.slot_id == slot_id,
            Appointment.status.in_((BOOKED, CHECKED_IN)),
        )
        .limit(1)
    )


def one_per_day_message(patient: Patient, schedule: Schedule) -> str:
    return _(
        "%(name)s already has an appointment in %(department)s on %(date)s. Only one is allowed per "
        "department per day: to change the time, cancel the other appointment first.",
        name=mask_name(patient.name),
        department=department_name(schedule.department),
        date=format_full_date(schedule.day),
    )


async def active_count(session: AsyncSession, account_id: UUID, now: datetime) -> int:
    """Appointments this account booked that are still to come."""
    count = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .join(Slot, Slot.id == Appointment.slot_id)
        .where(
            Appointment.account_id == account_id,
            Appointment.status == BOOKED,
            Slot.ends_at > now,
        )
    )
    return int(count or 0)


async def ensure_under_account_limit(
    session: AsyncSession, account_id: UUID, now: datetime, settings: BookingSettings
) -> None:
    if await active_count(session, account_id, now) >= settings.max_active_per_account:
        raise RuleError(
            _(
                "This account already has %(count)d upcoming appointments, the most allowed at one time. "
                "Please cancel one you no longer need, or book again after a visit.",
                count=settings.max_active_per_account,
            )
        )
