"""Queue tests: a day's timetable, appointments put straight into the database, desk scans, and
what other features hold about them (an appointment's status, a session's queue, a staff id)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from portal.accounts.models import AccountPatient, Patient
from portal.booking.models import BOOKED, Appointment, Schedule, Slot
from portal.core.touchpoints import Role, Touchpoint
from tests.support.booking import import_timetable, session, standard_timetable
from tests.support.cards import card_of, live_code, make_staff, staff_login
from tests.support.client import PortalClient

TODAY = "2026-11-24"  # the frozen clock's day (Tuesday, 09:00 in Shanghai)


def todays_clinic(client: PortalClient, *, start: str = "08:00", end: str = "12:00") -> None:
    """Cardiology with Dr 张伟 this morning, 15-minute slots of 5 places."""
    response = import_timetable(
        client,
        standard_timetable(
            today=session("CARD-TODAY", "D1", TODAY, start=start, end=end, places=5)
        ),
    )
    assert response.status_code in (200, 201), response.text


def book(client: PortalClient, patient_name: str, slot_index: int, code: str = "CARD-TODAY") -> str:
    """An appointment for ``patient_name`` in the ``slot_index``th slot (08:00 is 0)."""

    async def work(db: Any) -> str:
        patient = await db.scalar(select(Patient).where(Patient.name == patient_name))
        link = await db.scalar(
            select(AccountPatient).where(AccountPatient.patient_id == patient.id)
        )
        schedule = await db.scalar(select(Schedule).where(Schedule.code == code))
        slots = list(
            await db.scalars(
                select(Slot).where(Slot.schedule_id == schedule.id).order_by(Slot.starts_at)
            )
        )
        slot = slots[slot_index]
        appointment = Appointment(
            slot_id=slot.id,
            schedule_id=schedule.id,
            department_id=schedule.department_id,
            patient_id=patient.id,
            account_id=link.account_id,
            visit_day=schedule.day,
            status=BOOKED,
            fee_cents=5000,
            booked_at=datetime(2026, 11, 20, tzinfo=UTC),
        )
        db.add(appointment)
        await db.execute(update(Slot).where(Slot.id == slot.id).values(booked=Slot.booked + 1))
        await db.commit()
        return str(appointment.id)

    return str(client.db(work))


def appointment_status(client: PortalClient) -> str:
    """The status booking holds for the (one) appointment of the test."""

    async def work(db: Any) -> str:
        return str(await db.scalar(select(Appointment.status)))

    return str(client.db(work))


def queue_id(client: PortalClient, session_code: str | None = None) -> str:
    """The queue of a session (by its timetable code), or the only queue there is."""
    from portal.queue.models import Queue

    async def work(db: Any) -> str:
        query = select(Queue.id)
        if session_code is not None:
            query = query.join(Schedule, Schedule.id == Queue.schedule_id).where(
                Schedule.code == session_code
            )
        return str(await db.scalar(query))

    return str(client.db(work))


def staff_id(client: PortalClient, username: str) -> str:
    from portal.staff.models import Staff

    async def work(db: Any) -> str:
        return str(await db.scalar(select(Staff.id).where(Staff.username == username)))

    return str(client.db(work))


def tickets(client: PortalClient) -> list[Any]:
    """Every ticket, in number order."""
    from portal.queue.models import Ticket

    async def work(db: Any) -> list[Any]:
        return list(await db.scalars(select(Ticket).order_by(Ticket.number)))

    return list(client.db(work))


def add_patient(
    client: PortalClient, name: str, id_number: str, relationship: str = "parent"
) -> None:
    response = client.add_member(
        name=name, id_number=id_number, phone="13911110000", relationship=relationship
    )
    assert response.status_code == 303, response.text


def _ensure_staff(
    client: PortalClient,
    username: str,
    role: Role,
    touchpoints: list[Touchpoint],
    doctor_code: str | None = None,
) -> None:
    from portal.staff.models import Staff

    async def exists(db: Any) -> bool:
        return await db.scalar(select(Staff.id).where(Staff.username == username)) is not None

    if not client.db(exists):
        make_staff(client, username, role, touchpoints, doctor_code)
    staff_login(client, username)


def as_nurse(client: PortalClient) -> None:
    _ensure_staff(client, "nurse", Role.NURSE, [Touchpoint.TRIAGE, Touchpoint.REGISTRATION])


def as_doctor(client: PortalClient, username: str = "doctor", doctor_code: str = "D1") -> None:
    """Log in as the doctor whose sessions these are (张伟, D1, runs ``todays_clinic``)."""
    _ensure_staff(client, username, Role.DOCTOR, [Touchpoint.CLINIC], doctor_code)


def scan_in(client: PortalClient, patient_name: str, desk: str = "triage") -> Any:
    """The nurse scans the patient's live code at the desk (htmx, as the station does)."""
    card = card_of(client, patient_name)
    return client.submit(
        f"/staff/scan/{desk}", {"code": live_code(client, card)}, headers={"HX-Request": "true"}
    )
