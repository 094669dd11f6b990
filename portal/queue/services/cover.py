"""Cover for a colleague: a nurse or an administrator lets a doctor run another session's queue
until the day ends (``QueueCover``). Who the doctors are is the staff feature's to say."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.audit.services import record
from portal.core.actor import Actor
from portal.core.clock import Clock
from portal.core.errors import NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.core.touchpoints import Touchpoint
from portal.db.transactions import begin_write, insert_if_absent
from portal.queue.models import Queue, QueueCover
from portal.staff.services import StaffService

if TYPE_CHECKING:
    from portal.staff.models import Staff

COVER = "queue.cover"
COVER_ENDED = "queue.cover_ended"


@dataclass(frozen=True)
class Cover:
    """One doctor covering one room today, as the cover page lists it."""

    id: UUID
    queue: Queue
    doctor: Staff
    assigned_by: str


def _what(queue: Queue, doctor: Staff) -> str:
    """The audit log's words for a cover: whose room, and who covers it."""
    return f"{queue.room} ({queue.doctor_name}) -> {doctor.display_name} ({doctor.username})"


class CoverService:
    """Assigning and ending covers, and what the cover page lists."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.staff = StaffService(session)

    async def rooms_today(self) -> list[Queue]:
        result = await self.session.scalars(
            select(Queue)
            .where(Queue.service_day == self.clock.today())
            .order_by(Queue.prefix, Queue.room)
        )
        return list(result.all())

    async def doctors(self) -> list[Staff]:
        """Active doctors who work in a doctor's room: those who can be asked to cover."""
        return await self.staff.room_doctors()

    async def covers_today(self) -> list[Cover]:
        rows = (
            await self.session.execute(
                select(QueueCover, Queue)
                .join(Queue, Queue.id == QueueCover.queue_id)
                .where(QueueCover.day == self.clock.today())
            )
        ).all()
        doctors = await self.staff.staff_by_id(cover.staff_id for cover, _q in rows)
        covers = [Cover(c.id, q, doctors[c.staff_id], c.assigned_by) for c, q in rows]
        return sorted(covers, key=lambda c: (c.queue.prefix, c.queue.room, c.doctor.display_name))

    async def assign(self, queue_id: UUID | None, doctor_id: UUID | None, actor: Actor) -> None:
        """Let a doctor run one of today's queues until the day ends (audited). Assigning the
        same cover twice changes nothing. None for either: nothing was chosen."""
        today = self.clock.today()
        queue = await self.session.get(Queue, queue_id) if queue_id else None
        if queue is None or queue.service_day != today:
            raise RuleError(_("Please choose one of today's rooms."), "queue")
        doctor = await self.staff.room_doctor(doctor_id) if doctor_id else None
        if doctor is None:
            raise RuleError(_("Please choose a doctor who works in a doctor's room."), "doctor")
        await begin_write(self.session)
        await insert_if_absent(
            self.session,
            QueueCover,
            queue_id=queue.id,
            staff_id=doctor.id,
            day=today,
            assigned_by=actor.name[:100],
        )
        await record(
            self.session,
            actor,
            COVER,
            "ok",
            touchpoint=Touchpoint.CLINIC.value,
            detail=_what(queue, doctor),
        )
        await self.session.commit()

    async def end(self, cover_id: UUID, actor: Actor) -> None:
        """Take a cover back before the day ends (audited); ``NotFound`` when there is none."""
        await begin_write(self.session)
        row = (
            await self.session.execute(
                select(QueueCover, Queue)
                .join(Queue, Queue.id == QueueCover.queue_id)
                .where(QueueCover.id == cover_id)
            )
        ).first()
        doctor = await self.staff.staff(row[0].staff_id) if row is not None else None
        if row is None or doctor is None:
            await self.session.rollback()
            raise NotFound()
        await self.session.execute(delete(QueueCover).where(QueueCover.id == cover_id))
        await record(
            self.session,
            actor,
            COVER_ENDED,
            "ok",
            touchpoint=Touchpoint.CLINIC.value,
            detail=_what(row[1], doctor),
        )
        await self.session.commit()
