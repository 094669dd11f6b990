"""What people see of the queues: the patient's phone, the waiting-room board, the public
waiting times and the doctor's console. Read-only; every view is a typed value."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.idnumber import age_on
from portal.accounts.lookups import FAMILY_TABLES, patient_ids_of
from portal.accounts.services import PatientService
from portal.core.clock import Clock
from portal.core.errors import NotFound
from portal.core.masking import mask_name
from portal.db.generations import KEEP_NOTHING, ReadCache
from portal.queue import ordering
from portal.queue.models import Queue, Ticket
from portal.queue.services.waiting import WaitingLine
from portal.settings import QueueSettings

NEXT_ON_BOARD = 3
"""How many of those waiting the board lists as next."""


@dataclass(frozen=True)
class TicketStatus:
    """One ticket as the patient's phone shows it."""

    ticket: Ticket
    queue: Queue
    patient_name: str
    ahead: int
    wait_minutes: int
    now_serving: str | None
    near: bool = False
    """Waiting, with few enough ahead that the phone says "almost your turn"."""

    @property
    def called(self) -> bool:
        return self.ticket.is_called

    @property
    def waiting(self) -> bool:
        return self.ticket.is_waiting

    @property
    def missed(self) -> bool:
        return self.ticket.is_missed

    @property
    def state(self) -> str:
        """How the phone styles the ticket: called, near, waiting, missed or done."""
        if self.called:
            return "called"
        if self.near:
            return "near"
        return self.ticket.status


@dataclass(frozen=True)
class BoardLine:
    """A number and its patient's masked name, as the board shows them."""

    number: str
    name: str


@dataclass(frozen=True)
class BoardView:
    """The waiting-room screen: who is called now, who was called before, who is next."""

    queue: Queue
    current: BoardLine | None
    earlier: list[BoardLine]
    upcoming: list[BoardLine]
    waiting_count: int


@dataclass(frozen=True)
class RoomWait:
    """One room on the public waiting-times page."""

    queue: Queue
    waiting: int
    minutes: int

    @property
    def room(self) -> str:
        return self.queue.room

    @property
    def doctor(self) -> str:
        return self.queue.doctor_name


@dataclass
class DepartmentWait:
    """One department on the public waiting-times page: its rooms, and the longest wait."""

    name: str
    rooms: list[RoomWait] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return sum(room.waiting for room in self.rooms)

    @property
    def minutes(self) -> int:
        return max((room.minutes for room in self.rooms), default=0)


@dataclass(frozen=True)
class ConsolePerson:
    """A patient as the doctor's console names them."""

    name: str
    age: int
    male: bool


@dataclass(frozen=True)
class ConsoleView:
    """The doctor's console: who is with the doctor, who waits (in order), who was seen."""

    queue: Queue
    current: Ticket | None
    waiting: list[Ticket]
    finished: list[Ticket]
    people: dict[UUID, ConsolePerson]
    per_patient_minutes: float


TICKET_TABLES = (Ticket.__tablename__, Queue.__tablename__, *FAMILY_TABLES)
"""What an account's tickets, their places in line and their waits are read from."""


class QueueViews:
    """Builds the views; the line's order and estimates come from ``WaitingLine``."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        settings: QueueSettings,
        clock: Clock,
        cache: ReadCache | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.cache = cache or KEEP_NOTHING
        self.line = WaitingLine(session, settings)
        self.patients = PatientService(session)

    async def queue(self, queue_id: UUID, *, fresh: bool = False) -> Queue:
        """A queue by id (``NotFound`` when there is none); ``fresh`` reads it again."""
        queue = await self.session.get(Queue, queue_id, populate_existing=fresh)
        if queue is None:
            raise NotFound()
        return queue

    async def queues_today(self) -> list[Queue]:
        result = await self.session.scalars(
            select(Queue)
            .where(Queue.service_day == self.clock.today())
            .order_by(Queue.prefix, Queue.room)
        )
        return list(result.all())

    async def today_version(self) -> int:
        """The sum of today's queue versions: it moves whenever any queue changes."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Queue.version), 0)).where(
                Queue.service_day == self.clock.today()
            )
        )
        return int(total or 0)

    # -- the patient's phone ------------------------------------------------------------------

    async def tickets_on_page(self, account_id: UUID, version: object = None) -> list[TicketStatus]:
        """``tickets_for_account`` for a page that only shows them: kept between requests while
        no ticket, queue or family member has changed (portal/db/generations.py); a call or a
        check-in anywhere moves the tickets' generation on. An answer sent with an ETag passes
        the ``version`` the tag was made from: a reading is only ever kept for its own version
        (between a commit and its generations moving on, a poll can already see the new
        version; it must not get the old reading under the new tag)."""
        today = self.clock.today()
        return await self.cache.get(
            ("queue-tickets", account_id, today, version),
            TICKET_TABLES,
            lambda: self.tickets_for_account(account_id),
            self.session,
            rows=lambda kept: [row for status in kept for row in (status.ticket, status.queue)],
        )

    async def tickets_for_account(self, account_id: UUID) -> list[TicketStatus]:
        """Today's tickets of every patient this account manages, with place and estimate."""
        patient_ids = await patient_ids_of(self.session, account_id)
        if not patient_ids:
            return []
        rows = (
            await self.session.execute(
                select(Ticket, Queue)
                .join(Queue, Queue.id == Ticket.queue_id)
                .where(Ticket.patient_id.in_(patient_ids), Queue.service_day == self.clock.today())
                .order_by(Ticket.checked_in_at)
            )
        ).all()
        people = await self.patients.patients_by_id(ticket.patient_id for ticket, _q in rows)
        statuses = []
        for ticket, queue in rows:
            ahead = await self.line.ahead_of(ticket)
            serving = await self.line.now_serving(queue.id)
            wait = 0
            if ticket.is_waiting:
                in_front = ahead + (1 if serving else 0)  # the one with the doctor finishes first
                wait = ordering.estimated_wait(in_front, await self.line.per_patient(queue.id))
            statuses.append(
                TicketStatus(
                    ticket,
                    queue,
                    mask_name(people[ticket.patient_id].name),
                    ahead,
                    wait,
                    serving,
                    near=ticket.is_waiting and ahead <= self.settings.alert_when_ahead,
                )
            )
        return statuses

    # -- the waiting room and the public ------------------------------------------------------

    async def board(self, queue_id: UUID, recent: int = 5) -> BoardView:
        """What the waiting-room screen shows: who is called, the last few, who is next."""
        queue = await self.queue(queue_id)
        called = list(
            await self.session.scalars(
                select(Ticket)
                .where(Ticket.queue_id == queue.id, Ticket.called_at.is_not(None))
                .order_by(Ticket.called_at.desc())
                .limit(recent + 1)
            )
        )
        waiting = await self.line.waiting_in(queue.id)
        upcoming = waiting[:NEXT_ON_BOARD]
        people = await self.patients.patients_by_id(t.patient_id for t in [*called, *upcoming])

        def line(ticket: Ticket) -> BoardLine:
            return BoardLine(ticket.number, mask_name(people[ticket.patient_id].name))

        current = next((t for t in called if t.is_called), None)
        return BoardView(
            queue=queue,
            current=line(current) if current else None,
            earlier=[line(t) for t in called if t is not current][:recent],
            upcoming=[line(t) for t in upcoming],
            waiting_count=len(waiting),
        )

    async def overview_on_page(self, version: object = None) -> list[DepartmentWait]:
        """``overview`` for the public page: kept between requests while no queue or ticket has
        changed (portal/db/generations.py); any check-in or call moves it on. ``version``: as
        for ``tickets_on_page``."""
        return await self.cache.get(
            ("waiting-overview", self.clock.today(), version),
            (Ticket.__tablename__, Queue.__tablename__),
            self.overview,
            self.session,
            rows=lambda kept: [room.queue for department in kept for room in department.rooms],
        )

    async def overview(self) -> list[DepartmentWait]:
        """Every department's waiting count and estimated wait today (the public page)."""
        departments: dict[str, DepartmentWait] = {}
        for queue in await self.queues_today():
            waiting = await self.line.waiting_count(queue.id)
            per = await self.line.per_patient(queue.id)
            entry = departments.setdefault(queue.name, DepartmentWait(queue.name))
            entry.rooms.append(RoomWait(queue, waiting, ordering.estimated_wait(waiting, per)))
        return sorted(departments.values(), key=lambda d: d.name)

    # -- the doctor's console -----------------------------------------------------------------

    async def console(self, queue_id: UUID) -> ConsoleView:
        """The console of one queue, read afresh (after a refusal rolled the session back)."""
        queue = await self.queue(queue_id, fresh=True)
        tickets = list(
            await self.session.scalars(select(Ticket).where(Ticket.queue_id == queue.id))
        )
        patients = await self.patients.patients_by_id(t.patient_id for t in tickets)
        today = self.clock.today()
        people = {}
        for ticket in tickets:
            patient = patients[ticket.patient_id]
            people[ticket.id] = ConsolePerson(
                mask_name(patient.name), age_on(patient.birth_date, today), patient.male
            )
        return ConsoleView(
            queue=queue,
            current=next((t for t in tickets if t.is_called), None),
            waiting=await self.line.waiting_in(queue.id),
            finished=sorted(
                (t for t in tickets if t.is_done or t.is_missed), key=lambda t: t.number
            ),
            people=people,
            per_patient_minutes=(await self.line.per_patient(queue.id)).total_seconds() / 60,
        )
