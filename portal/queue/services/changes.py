"""How a change of a queue reaches phones and boards: the queue's version, counted in the
database, and an announcement published after the commit (never inside the transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.queue.models import Queue

CHECKED_IN = "checked_in"
CALLED = "called"
CHANGED = "changed"


@dataclass(frozen=True)
class QueueEvent:
    """What changed in one queue. Boards read a call aloud from ``number``, ``name`` (masked)
    and ``room``; ``patient`` (a check-in's) is for the app's own followers only and never
    reaches a browser (``portal.queue.events.publish`` leaves it out of public streams)."""

    kind: str
    version: int
    number: str | None = None
    name: str | None = None
    room: str | None = None
    patient: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@runtime_checkable  # handlers receive one as a dependency, which Litestar type-checks
class Announcer(Protocol):
    """Where queue events go (Litestar Channels in the app; nowhere in a command or a test)."""

    def publish(self, queue_id: UUID, event: Mapping[str, object]) -> None: ...


class Silent:
    """An announcer that tells no one."""

    def publish(self, queue_id: UUID, event: Mapping[str, object]) -> None:
        return None


async def bump(session: AsyncSession, queue: Queue) -> int:
    """Count one change of the queue in the database itself (never lost to a stale object), so
    phones and boards can ask "anything new?" by version."""
    version = await session.scalar(
        update(Queue)
        .where(Queue.id == queue.id)
        .values(version=Queue.version + 1)
        .returning(Queue.version)
        .execution_options(synchronize_session=False)
    )
    queue.version = int(version or 0)
    return queue.version
