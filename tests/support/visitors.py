"""The people a form fuzzer acts as, on one test client: an anonymous browser, a patient who
manages a family, an administrator (who may use every desk) and a lobby kiosk.

Each keeps its own cookies (sessions live on the server, so cookies are the whole identity):
``act_as`` swaps them in. When a form ended someone's login (logout, a kiosk set up, a staff
logout), ``forget`` drops them and the next ``act_as`` logs them in again: a patient with a new
phone (the per-phone SMS limits would refuse the old one) and a new family, an administrator with
the real password (never a fuzzed one: staff accounts lock after failed logins).

``World`` is what exists at a moment (family members, appointments, waitlist entries, queues,
tickets, cards), read from the database before each example, so forms and paths can name real
objects.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select

import ecard
from portal.accounts.models import Account, AccountPatient, Patient
from portal.accounts.services import PatientService
from portal.booking.models import Appointment, Schedule, Slot, WaitlistEntry
from portal.booking.services import BookingService
from portal.booking.waitlist import WaitlistService
from portal.cards.keys import build_keyring
from portal.cards.models import ECard
from portal.core.touchpoints import Role, Touchpoint
from portal.queue.models import Queue, QueueCover, Ticket
from portal.staff.models import Staff
from tests.support.booking import department, doctor, import_timetable, session
from tests.support.cards import STAFF_PASSWORD, make_staff
from tests.support.client import PortalClient
from tests.support.people import id_number

ANONYMOUS, PATIENT, ADMIN, KIOSK = "anonymous", "patient", "admin", "kiosk"
ADMIN_USERNAME = "fuzz-admin-7f3c"
DECOY_USERNAME = "fuzz-decoy"
"""A nurse whose login the fuzzer may hammer (wrong passwords, lockouts): never the admin."""
DOCTOR_USERNAME = "fuzz-doctor"
"""A doctor (of today's clinic) whom a nurse or an admin may ask to cover another room."""
PROBES = {PATIENT: ("/patients", 200), ADMIN: ("/staff", 200), KIOSK: ("/kiosk", 200)}
"""A page each visitor gets with that status only while logged in as themselves."""
TODAY_SESSION = "FUZZ-TODAY"
OPEN_SESSION = "FUZZ-OPEN"


@dataclass
class Member:
    id: str
    name: str
    id_number: str
    phone: str
    relationship: str


@dataclass
class World:
    """Real objects to name in paths and forms; ``mine`` are the current patient account's."""

    family: list[Member] = field(default_factory=list)
    strangers: list[Member] = field(default_factory=list)
    appointments: list[str] = field(default_factory=list)
    others_appointments: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    others_entries: list[str] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    ticket_numbers: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    doctors: list[str] = field(default_factory=list)
    covers: list[str] = field(default_factory=list)
    cards: list[tuple[str, int, bool]] = field(default_factory=list)
    """(card number, generation, active)"""
    live_codes: list[str] = field(default_factory=list)

    def kinds(self) -> dict[str, list[Any]]:
        members = self.family + self.strangers
        return {
            "members": members,
            "family_ids": [m.id for m in self.family],
            "stranger_ids": [m.id for m in self.strangers],
            "member_ids": [m.id for m in members],
            "phones": [m.phone for m in members],
            "names": [m.name for m in members],
            "id_numbers": [m.id_number for m in members],
            "scans": self.live_codes + [number for number, _, _ in self.cards],
            "appointments": self.appointments,
            "others_appointments": self.others_appointments,
            "entries": self.entries,
            "others_entries": self.others_entries,
            "schedules": self.schedules,
            "slots": self.slots,
            "queues": self.queues,
            "tickets": self.tickets,
            "ticket_texts": self.tickets + self.ticket_numbers,
            "staff": self.staff,
            "doctors": self.doctors,
            "covers": self.covers,
            "ids": [
                *(m.id for m in members),
                *self.appointments,
                *self.entries,
                *self.schedules,
                *self.slots[:5],
                *self.queues,
                *self.tickets,
                *self.staff,
                *self.covers,
            ],
        }

    def pick(self, kind: str, index: int) -> Any:
        """The ``index``-th (modulo) real object of a kind; when there is none, a made-up one.

        Fuzzers draw the index, not the object: what they draw then does not depend on what
        exists (Hypothesis requires that), while what they post does."""
        values = self.kinds()[kind]
        if values:
            return values[index % len(values)]
        if kind == "members":
            born = date(1980, 1, 1)
            return Member(
                str(UUID(int=index)), "张三", id_number(born, index % 1000), "13800000000", "other"
            )
        return str(UUID(int=index))


class Visitors:
    """The fuzzer's people on one client; see the module docstring."""

    def __init__(self, client: PortalClient) -> None:
        self.client = client
        self.jars: dict[str, httpx.Cookies] = {}
        self.current: str | None = None
        self.account_id: str | None = None
        self.phones = itertools.count(1)
        self.families = 0
        self.logins: dict[str, int] = {ANONYMOUS: 0, PATIENT: 0, ADMIN: 0, KIOSK: 0}
        self._world: World | None = None
        self._world_key: tuple[str | None, int] = (None, 0)

    # -- the hospital before the first visitor --------------------------------------------------

    def open_hospital(self) -> None:
        """Today's clinic and an open session next week, an administrator and a decoy nurse."""
        response = import_timetable(
            self.client,
            {
                "departments": [department()],
                "doctors": [doctor("D1"), doctor("D2", name="刘建华")],
                "sessions": [
                    session(
                        TODAY_SESSION, "D1", "2026-11-24", start="08:00", end="12:00", places=5
                    ),
                    session(OPEN_SESSION, "D2", "2026-12-01", start="08:00", end="12:00", places=5),
                ],
            },
        )
        assert response.status_code == 200, response.text
        make_staff(self.client, ADMIN_USERNAME, Role.ADMIN, [])
        make_staff(self.client, DECOY_USERNAME, Role.NURSE, [Touchpoint.TRIAGE])
        make_staff(self.client, DOCTOR_USERNAME, Role.DOCTOR, [Touchpoint.CLINIC], "D2")

    # -- who is at the keyboard -------------------------------------------------------------------

    def act_as(self, role: str) -> None:
        """Swap in ``role``'s cookies, logging them in first if they have none."""
        if self.current is not None:
            self.jars[self.current] = self.client.cookies
        self.current = role
        if role not in self.jars:
            self.client.cookies = httpx.Cookies()
            self.logins[role] += 1
            {ANONYMOUS: lambda: None, PATIENT: self._new_family, ADMIN: self._admin_login}.get(
                role, self._set_up_kiosk
            )()
            self.jars[role] = self.client.cookies
        self.client.cookies = self.jars[role]

    def forget(self, role: str) -> None:
        """``role``'s login ended: start again at the next ``act_as``."""
        self.jars.pop(role, None)
        if self.current == role:
            self.current = None

    def check(self, role: str) -> None:
        """After an answer that may have ended the current visitor's login: look (one GET; a
        staff login costs a deliberately slow password hash) and forget them if it did."""
        probe = PROBES.get(role)
        if probe is None:  # anonymous: start from empty cookies again
            self.forget(role)
            return
        path, status = probe
        if self.client.get(path, follow_redirects=False).status_code != status:
            self.forget(role)

    def _admin_login(self) -> None:
        response = self.client.submit(
            "/staff/login", {"username": ADMIN_USERNAME, "password": STAFF_PASSWORD}
        )
        assert response.status_code == 303, response.text

    def _set_up_kiosk(self) -> None:
        """A screen set up as a kiosk by the administrator (whose login on it then ends)."""
        self._admin_login()
        response = self.client.submit("/staff/kiosk", {"name": "门诊大厅 1 号机"})
        assert response.status_code == 303, response.text

    # -- patients ----------------------------------------------------------------------------------

    def fresh_phone(self) -> str:
        return f"1390{next(self.phones):07d}"

    def _new_family(self) -> None:
        """A new account (fresh phone) with three family members, logged in through the pages;
        an appointment today and next week; the parent offered a place from the waitlist (and
        shared with another account), self still waiting; another account as a stranger."""
        self.families += 1
        n = self.families
        phone = self.fresh_phone()
        stranger_phone = self.fresh_phone()
        people = [
            ("self", "李静", date(1976, 5, 12)),
            ("parent", "王秀英", date(1944, 3, 15)),
            ("child", "李小龙", date(2015, 8, 1)),
        ]
        waitlist = f"FUZZ-WAIT-{n}"
        response = import_timetable(
            self.client,
            {
                "departments": [department()],
                "doctors": [doctor(f"W{n}", name=f"候补{n}")],
                "sessions": [session(waitlist, f"W{n}", "2026-11-27", end="08:15", places=1)],
            },
        )
        assert response.status_code == 200, response.text
        state = self.client.app.state
        today = state.clock.today()

        async def build(db: Any) -> str:
            service = PatientService(db, state.events)
            account = Account(phone=phone)
            stranger = Account(phone=stranger_phone)
            db.add_all([account, stranger])
            await db.commit()
            members = [
                await service.add_member(
                    account.id,
                    name=f"{name}{n}",
                    id_number=id_number(born, n % 900 + 2 * i + 1, region=f"{110101 + n:06d}"),
                    phone=phone,
                    relationship=relationship,
                    today=today,
                )
                for i, (relationship, name, born) in enumerate(people)
            ]
            outsider = await service.add_member(
                stranger.id,
                name=f"赵建国{n}",
                id_number=id_number(date(1950, 1, 1), n % 900 + 7, region=f"{120101 + n:06d}"),
                phone=stranger_phone,
                relationship="self",
                today=today,
            )
            await service.link_existing(stranger.id, members[1].id, "other")
            me, parent, child = (m.id for m in members)
            booking = BookingService(db, settings=state.settings.booking, clock=state.clock)
            waiting = WaitlistService(db, settings=state.settings.booking, clock=state.clock)

            async def slot_of(code: str, index: int) -> UUID:
                slots = await db.scalars(
                    select(Slot.id)
                    .join(Schedule, Schedule.id == Slot.schedule_id)
                    .where(Schedule.code == code)
                    .order_by(Slot.starts_at)
                )
                return list(slots)[index]

            await booking.book_slot(
                account_id=account.id,
                patient_id=me,
                slot_id=await slot_of(TODAY_SESSION, 5 + n % 10),  # 09:15 or later
            )
            await booking.book_slot(
                account_id=account.id, patient_id=child, slot_id=await slot_of(OPEN_SESSION, n % 16)
            )
            taken = await booking.book_slot(
                account_id=stranger.id, patient_id=outsider.id, slot_id=await slot_of(waitlist, 0)
            )
            schedule = taken.schedule_id
            mine, theirs, cancelled = account.id, stranger.id, taken.id
            db.expire_all()  # the services count places with UPDATEs: read them afresh
            for patient in (parent, me):
                await waiting.join_waitlist(
                    account_id=mine, patient_id=patient, schedule_id=schedule
                )
            await booking.cancel_appointment(account_id=theirs, appointment_id=cancelled)
            await waiting.release_due_slots(now=state.clock.now() + timedelta(hours=2))
            return str(mine)

        self.account_id = str(self.client.db(build))
        self.client.log_in(phone)

    # -- what exists -------------------------------------------------------------------------------

    def changed(self) -> None:
        """Something may have been written: read the world again at the next ``world()``."""
        self._world = None

    def world(self) -> World:
        """The objects that exist now, the current patient account's apart (read again after
        ``changed`` or a new login, else as last read)."""
        key = (self.account_id, sum(self.logins.values()))
        if self._world is None or self._world_key != key:
            self._world, self._world_key = self._read_world(), key
        return self._world

    def _read_world(self) -> World:
        account = UUID(self.account_id) if self.account_id else None
        state = self.client.app.state

        async def read(db: Any) -> World:
            world = World()
            rows = await db.execute(
                select(AccountPatient.account_id, AccountPatient.relationship_kind, Patient)
                .join(Patient, Patient.id == AccountPatient.patient_id)
                .order_by(AccountPatient.created_at.desc())
                .limit(40)
            )
            for owner, relationship, p in rows:
                member = Member(str(p.id), p.name, p.id_number, p.phone, relationship)
                (world.family if owner == account else world.strangers).append(member)
            for appointment_id, owner in await db.execute(
                select(Appointment.id, Appointment.account_id)
                .order_by(Appointment.created_at.desc())
                .limit(40)
            ):
                mine = world.appointments if owner == account else world.others_appointments
                mine.append(str(appointment_id))
            for entry_id, owner in await db.execute(
                select(WaitlistEntry.id, WaitlistEntry.account_id).limit(40)
            ):
                mine = world.entries if owner == account else world.others_entries
                mine.append(str(entry_id))
            world.schedules = [str(s) for s in await db.scalars(select(Schedule.id).limit(20))]
            world.slots = [str(s) for s in await db.scalars(select(Slot.id).limit(40))]
            world.queues = [str(q) for q in await db.scalars(select(Queue.id))]
            for ticket_id, number in await db.execute(select(Ticket.id, Ticket.number).limit(40)):
                world.tickets.append(str(ticket_id))
                world.ticket_numbers.append(number)
            for staff_id, role in await db.execute(select(Staff.id, Staff.role)):
                world.staff.append(str(staff_id))
                if role == Role.DOCTOR.value:
                    world.doctors.append(str(staff_id))
            world.covers = [str(c) for c in await db.scalars(select(QueueCover.id))]
            world.cards = [
                (number, generation, active)
                for number, generation, active in await db.execute(
                    select(ECard.card_number, ECard.generation, ECard.active)
                    .order_by(ECard.created_at.desc())
                    .limit(30)
                )
            ]
            return world

        world: World = self.client.db(read)
        keyring = build_keyring(state.settings)
        now = state.clock.now().timestamp()
        world.live_codes = [
            ecard.issue_code(keyring, number, generation, now)
            for number, generation, _active in world.cards
        ]
        return world
