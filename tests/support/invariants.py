"""What must hold in the database whatever happened to the server (a surge, a crash, a restart,
a fuzzer's worth of hostile forms).

``broken_invariants`` reads the whole database and returns what does not hold, in words; an
empty list means all is well. It assumes data made through the portal (the demo seed marks
places as taken by other channels without appointments, so it does not apply there).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Account, AccountPatient, LoginCode, Patient
from portal.booking.models import (
    BOOKED,
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    HELD,
    NO_SHOW,
    PLACE_OFFERED,
    Appointment,
    ReturnedPlace,
    Slot,
)
from portal.cards.models import ECard
from portal.db.base import metadata
from portal.payments.models import PAID, REFUNDED, REGISTRATION, UNPAID, VOID, Bill, BillItem
from portal.queue.models import Queue, Ticket, TicketCounter
from portal.settings import LoginSettings

# What a registration bill may be, given its appointment's status.
BILL_STATES = {
    BOOKED: {UNPAID, PAID},
    CHECKED_IN: {UNPAID, PAID},
    COMPLETED: {UNPAID, PAID},
    NO_SHOW: {VOID, PAID},
    CANCELLED: {VOID, PAID, REFUNDED},
}


async def broken_invariants(session: AsyncSession) -> list[str]:
    """Every invariant of people, places, bills, queues and stored text that does not hold."""
    return [
        *await _people(session),
        *await _places(session),
        *await _bills(session),
        *await _tickets(session),
        *await _stored_text(session),
    ]


async def _counts(session: AsyncSession, statement: Any) -> dict[Any, int]:
    return {key: int(count) for key, count in await session.execute(statement)}


PHONE = re.compile(r"1[3-9][0-9]{9}")  # ASCII only, as the app writes them
ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


async def _people(session: AsyncSession) -> list[str]:
    """Every patient has exactly one active card; no account manages more than the limit; no
    link between an account and a patient points nowhere; phones and ID numbers are stored in
    the one ASCII spelling the app writes (a code sent to a full-width phone reaches no one)."""
    problems = []
    active = await _counts(
        session,
        select(ECard.patient_id, func.count())
        .where(ECard.active.is_(True))
        .group_by(ECard.patient_id),
    )
    for patient_id in await session.scalars(select(Patient.id)):
        if active.get(patient_id, 0) != 1:
            problems.append(f"patient {patient_id} has {active.get(patient_id, 0)} active cards")
    limit = LoginSettings.max_patients_per_account
    for account_id, managed in (
        await _counts(
            session,
            select(AccountPatient.account_id, func.count()).group_by(AccountPatient.account_id),
        )
    ).items():
        if managed > limit:
            problems.append(f"account {account_id} manages {managed} patients (at most {limit})")
    dangling = await session.scalar(
        select(func.count())
        .select_from(AccountPatient)
        .outerjoin(Account, Account.id == AccountPatient.account_id)
        .outerjoin(Patient, Patient.id == AccountPatient.patient_id)
        .where((Account.id.is_(None)) | (Patient.id.is_(None)))
    )
    if dangling:
        problems.append(f"{dangling} account_patient rows point to no account or no patient")
    for table, column in (
        (LoginCode, LoginCode.phone),
        (Account, Account.phone),
        (Patient, Patient.phone),
    ):
        for phone in set(await session.scalars(select(column))):
            if not PHONE.fullmatch(phone):
                problems.append(f"{table.__tablename__}.phone {phone!r} is not 11 ASCII digits")
    for number in await session.scalars(select(Patient.id_number)):
        if not ID_NUMBER.fullmatch(number):
            problems.append(f"patient.id_number {number!r} is not 17 ASCII digits and a check")
    return problems


async def _stored_text(session: AsyncSession) -> list[str]:
    """No NUL in any text column of any table (PostgreSQL refuses it; SQLite would keep it)."""
    problems = []
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in await session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, str) and "\x00" in value:
                    problems.append(f"{table.name}.{column.name} holds a NUL: {value!r:.80}")
    return problems


async def _places(session: AsyncSession) -> list[str]:
    """A slot's count of places taken is its live appointments plus the returned places still
    held or offered to the waitlist, and never more than its capacity."""
    live = await _counts(
        session,
        select(Appointment.slot_id, func.count())
        .where(Appointment.status != CANCELLED)
        .group_by(Appointment.slot_id),
    )
    held = await _counts(
        session,
        select(ReturnedPlace.slot_id, func.count())
        .where(ReturnedPlace.status.in_((HELD, PLACE_OFFERED)))
        .group_by(ReturnedPlace.slot_id),
    )
    problems = []
    for slot_id, booked, capacity in await session.execute(
        select(Slot.id, Slot.booked, Slot.capacity)
    ):
        taken = live.get(slot_id, 0) + held.get(slot_id, 0)
        if booked != taken:
            problems.append(
                f"slot {slot_id}: counts {booked} places taken, but {live.get(slot_id, 0)} "
                f"appointments and {held.get(slot_id, 0)} returned places hold them"
            )
        if not 0 <= booked <= capacity or live.get(slot_id, 0) > capacity:
            problems.append(
                f"slot {slot_id} oversold: {booked} counted, {live.get(slot_id, 0)} appointments, "
                f"{capacity} places"
            )
    return problems


async def _bills(session: AsyncSession) -> list[str]:
    """Every appointment has exactly one registration bill for its fee, in a state that fits
    the appointment's; every registration bill belongs to an appointment; items add up."""
    bills: dict[UUID | None, list[tuple[str, int, int]]] = defaultdict(list)
    items = await _counts(
        session,
        select(BillItem.bill_id, func.sum(BillItem.amount_cents)).group_by(BillItem.bill_id),
    )
    for bill_id, appointment_id, status, total in await session.execute(
        select(Bill.id, Bill.appointment_id, Bill.status, Bill.total_cents).where(
            Bill.kind == REGISTRATION
        )
    ):
        bills[appointment_id].append((status, total, items.get(bill_id, 0)))
    problems = []
    if bills.get(None):
        problems.append(f"{len(bills[None])} registration bills belong to no appointment")
    for appointment_id, status, fee in await session.execute(
        select(Appointment.id, Appointment.status, Appointment.fee_cents)
    ):
        own = bills.pop(appointment_id, [])
        if len(own) != 1:
            problems.append(f"appointment {appointment_id} has {len(own)} registration bills")
            continue
        (bill_status, total, itemised) = own[0]
        if total != fee or itemised != total:
            problems.append(
                f"appointment {appointment_id}: fee {fee}, bill {total}, items {itemised}"
            )
        if bill_status not in BILL_STATES.get(status, set()):
            problems.append(f"appointment {appointment_id} is {status} but its bill {bill_status}")
    bills.pop(None, None)
    for appointment_id in bills:
        problems.append(f"registration bill for a missing appointment {appointment_id}")
    return problems


async def _tickets(session: AsyncSession) -> list[str]:
    """One ticket per patient per queue, one holder per number, a ticket for every checked-in
    appointment and none for others, and counters never behind the numbers given out."""
    problems = []
    rows = list(
        await session.execute(
            select(
                Ticket.queue_id,
                Ticket.patient_id,
                Ticket.number,
                Ticket.appointment_id,
                Queue.service_day,
                Queue.prefix,
            ).join(Queue, Queue.id == Ticket.queue_id)
        )
    )
    holders = Counter((r.queue_id, r.patient_id) for r in rows)
    numbers = Counter((r.queue_id, r.number) for r in rows)
    problems += [
        f"patient {p} holds {n} tickets in queue {q}" for (q, p), n in holders.items() if n > 1
    ]
    problems += [
        f"number {m} given {n} times in queue {q}" for (q, m), n in numbers.items() if n > 1
    ]

    statuses = dict(list(await session.execute(select(Appointment.id, Appointment.status))))
    ticketed = {r.appointment_id for r in rows if r.appointment_id is not None}
    for appointment_id in ticketed:
        if statuses.get(appointment_id) not in (CHECKED_IN, COMPLETED, NO_SHOW):
            problems.append(
                f"appointment {appointment_id} has a ticket but is {statuses.get(appointment_id)}"
            )
    for appointment_id, status in statuses.items():
        if status == CHECKED_IN and appointment_id not in ticketed:
            problems.append(f"appointment {appointment_id} is checked in without a ticket")

    counters = {
        (day, prefix): last
        for day, prefix, last in await session.execute(
            select(TicketCounter.day, TicketCounter.prefix, TicketCounter.last)
        )
    }
    highest: dict[tuple[Any, str], int] = {}
    for r in rows:
        key = (r.service_day, r.prefix)
        highest[key] = max(highest.get(key, 0), int(r.number[len(r.prefix) :]))
    for key, number in highest.items():
        if counters.get(key, 0) < number:
            problems.append(f"ticket counter {key} stands at {counters.get(key)}, below {number}")
    return problems
