"""Where a returned place goes next: to the first patient waiting (an offer, held for a while),
back on sale after a short random delay, or nowhere once its time has begun.

A returned place keeps its count in ``Slot.booked`` until it is released, so while it is held or
offered nobody can book it from the public pool. An offer is one row moving from "waiting" to
"offered" under a conditional update, and a unique index allows one open offer per place: no
place is ever offered to two patients at once.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import contact_of
from portal.booking import rules
from portal.booking.labels import department_name, period_label, title_label
from portal.booking.models import (
    CLOSED,
    HELD,
    HOLDS_THE_DAY,
    LAPSED,
    OFFERED,
    PLACE_OFFERED,
    RELEASED,
    WAITING,
    Appointment,
    ReturnedPlace,
    Slot,
    WaitlistEntry,
)
from portal.core.clock import Clock
from portal.core.i18n import format_clock, format_full_date, use_locale
from portal.core.i18n import gettext as _
from portal.core.masking import mask_name
from portal.messaging.services import SmsSender
from portal.settings import BookingSettings

logger = logging.getLogger("portal.booking")


@dataclass(frozen=True)
class Notice:
    """A text message to send once the transaction that caused it has committed."""

    phone: str
    body: str


async def send_notices(sender: SmsSender | None, notices: list[Notice]) -> None:
    """Send after commit: a slow or failing SMS gateway never holds a lock or undoes an offer
    (the offer also shows on the patient's appointments page)."""
    if sender is None or not notices:
        return
    for notice in notices:
        try:
            await sender.send(notice.phone, notice.body)
        except Exception:
            logger.exception("could not send an SMS to %s", notice.phone[-4:])


async def _give_back(session: AsyncSession, place: ReturnedPlace, status: str) -> None:
    """The place stops being held: free it in its slot's count."""
    await session.execute(
        update(Slot)
        .where(Slot.id == place.slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    place.status = status
    place.release_at = None


async def _day_taken(session: AsyncSession, entry_patient_id: object, slot: Slot) -> bool:
    schedule = slot.schedule
    taken = await session.scalar(
        select(Appointment.id)
        .where(
            Appointment.patient_id == entry_patient_id,
            Appointment.department_id == schedule.department_id,
            Appointment.visit_day == schedule.day,
            Appointment.status.in_(HOLDS_THE_DAY),
        )
        .limit(1)
    )
    return taken is not None


async def pass_on_place(
    session: AsyncSession,
    place: ReturnedPlace,
    now: datetime,
    settings: BookingSettings,
    clock: Clock,
    rng: random.Random | None = None,
    *,
    release_if_unwanted: bool = False,
) -> list[Notice]:
    """Offer a returned place to the first patient still waiting for its session; otherwise hold
    it for a random re-release moment (or release it now, when that moment has come)."""
    slot = place.slot
    if rules.aware(slot.starts_at) <= now:
        await _give_back(session, place, LAPSED)
        return []
    while True:
        # SKIP LOCKED: two places passed on at once go to two different patients (PostgreSQL);
        # SQLite's write lock already serialises them.
        candidate = (
            await session.execute(
                select(WaitlistEntry.id, WaitlistEntry.patient_id)
                .where(
                    WaitlistEntry.schedule_id == place.schedule_id,
                    WaitlistEntry.status == WAITING,
                )
                .order_by(WaitlistEntry.joined_at, WaitlistEntry.created_at, WaitlistEntry.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if candidate is None:
            break
        entry_id, patient_id = candidate
        if await _day_taken(session, patient_id, slot):
            # They have since booked this department that day: they no longer need the place.
            await session.execute(
                update(WaitlistEntry)
                .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WAITING)
                .values(status=CLOSED)
                .execution_options(synchronize_session=False)
            )
            continue
        hold_until = rules.offer_hold_until(now, slot.starts_at, settings)
        offered = await session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WAITING)
            .values(status=OFFERED, place_id=place.id, offered_at=now, hold_until=hold_until)
            .execution_options(synchronize_session=False)
        )
        if offered.rowcount != 1:  # type: ignore[attr-defined]
            continue
        place.status = PLACE_OFFERED
        place.release_at = None
        await session.flush()
        notice = await _offer_notice(session, entry_id, slot, hold_until, clock)
        return [notice] if notice else []
    if release_if_unwanted:
        await _give_back(session, place, RELEASED)
    else:
        place.status = HELD
        place.release_at = rules.rerelease_moment(now, slot.starts_at, settings, rng)
    await session.flush()
    return []


async def _offer_notice(
    session: AsyncSession, entry_id: UUID, slot: Slot, hold_until: datetime, clock: Clock
) -> Notice | None:
    """The SMS that tells the family a place has come up, in the account's language (to the
    patient's own phone when the account that joined is gone)."""
    entry = await session.get(WaitlistEntry, entry_id)
    if entry is None:
        return None
    patient = entry.patient
    contact = await contact_of(session, entry.account_id) if entry.account_id else None
    phone = contact.phone if contact is not None else patient.phone
    schedule = slot.schedule
    starts = clock.local(slot.starts_at)
    until = clock.local(hold_until)
    with use_locale(contact.locale if contact is not None and contact.locale else "zh_Hans"):
        body = _(
            "[Yimatong] A place has come up for %(name)s: %(department)s, %(doctor)s (%(title)s), %(date)s "
            "%(period)s at %(time)s. It is kept for you until %(until)s. Open Yimatong, My appointments, "
            "to accept it; after that it goes to the next person waiting.",
            name=mask_name(patient.name),
            department=department_name(schedule.department),
            doctor=schedule.doctor.name,
            title=title_label(schedule.doctor.title),
            date=format_full_date(schedule.day),
            period=period_label(schedule.period),
            time=format_clock(starts),
            until=format_clock(until),
        )
    return Notice(phone=phone, body=body)


async def load_place(session: AsyncSession, place_id: object) -> ReturnedPlace | None:
    return await session.get(ReturnedPlace, place_id)
