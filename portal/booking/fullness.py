"""What the "this time is now full" page says about a slot, read once a second per process.

In a release surge hundreds of patients are told in the same second that their time is full.
The page is the same for all of them (the slot, its doctor, the nearest free times, whether the
whole session is full): each process reads it from the database at most once a second per
slot and shares the reading between requests, including those asking at the same moment.

A reading is at most ``MAX_AGE_SECONDS`` old, by the wall clock and by the hospital's clock
(a test may move the latter), and a booking made through this process drops the readings of
its department at once. (A cancellation frees no place for sale: the place is held or offered
to someone waiting and goes back on sale later, which a reading shows within the second.) A
free time offered by a reading that has since filled up (in another process) is no harm:
booking it answers "full" again, with a newer reading.
Whether a place is booked is never decided here; only the booking transaction decides that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from portal.booking.models import Slot

MAX_AGE_SECONDS = 1.0
KEPT_LIMIT = 10_000
"""Readings kept at most (all are forgotten at once beyond it)."""


@dataclass(frozen=True)
class FullSlot:
    """One reading: the slot (its session, doctor and department loaded) and what is free."""

    slot: Slot
    nearest: tuple[Slot, ...]
    session_full: bool


@dataclass(frozen=True)
class _Kept:
    read_at: float
    """The hospital's clock (seconds) when the reading began."""
    began: float
    """The process's monotonic clock when the reading began."""
    reading: asyncio.Future[FullSlot]

    def fresh(self, now_seconds: float, max_age: float) -> bool:
        return 0 <= now_seconds - self.read_at < max_age and time.monotonic() - self.began < max_age


class FullSlotReadings:
    """This process's readings of full slots, each shared for at most a second."""

    def __init__(self, max_age_seconds: float = MAX_AGE_SECONDS) -> None:
        self.max_age_seconds = max_age_seconds
        self.kept: dict[UUID, _Kept] = {}
        self.reads = 0
        """Readings taken from the database so far (the benchmark reports it)."""

    async def of(
        self, slot_id: UUID, now_seconds: float, read: Callable[[], Awaitable[FullSlot]]
    ) -> FullSlot:
        """The slot's reading: a kept one under a second old (or one being read right now),
        else ``read`` from the database. A reading that failed is not kept."""
        kept = self.kept.get(slot_id)
        if kept is not None and kept.fresh(now_seconds, self.max_age_seconds):
            try:
                return await asyncio.shield(kept.reading)
            except BaseException:
                task = asyncio.current_task()
                if not _failed(kept.reading) or (task is not None and task.cancelling()):
                    raise  # this request was cancelled, not (only) the reading
                return await read()  # the shared reading failed: read for ourselves
        if len(self.kept) >= KEPT_LIMIT:
            self.kept.clear()
        reading: asyncio.Future[FullSlot] = asyncio.get_running_loop().create_future()
        self.kept[slot_id] = _Kept(now_seconds, time.monotonic(), reading)
        self.reads += 1
        try:
            result = await read()
        except BaseException as exc:
            if slot_id in self.kept and self.kept[slot_id].reading is reading:
                del self.kept[slot_id]
            if isinstance(exc, asyncio.CancelledError):
                reading.cancel()
            else:
                reading.set_exception(exc)
                reading.exception()  # marked as retrieved: the waiters read for themselves
            raise
        reading.set_result(result)
        return result

    def forget_department(self, department_id: UUID) -> None:
        """A place in this department was booked or given back: its readings are out of date
        (and so is any reading still under way, whose department is not known yet)."""
        for slot_id, kept in list(self.kept.items()):
            if _department_of(kept.reading) in (department_id, None):
                del self.kept[slot_id]


def _department_of(reading: asyncio.Future[FullSlot]) -> UUID | None:
    if not reading.done() or _failed(reading):
        return None
    return reading.result().slot.schedule.department_id


def _failed(reading: asyncio.Future[FullSlot]) -> bool:
    return reading.done() and (reading.cancelled() or reading.exception() is not None)
