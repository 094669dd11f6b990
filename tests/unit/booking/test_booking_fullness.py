"""The "now full" page's reading of a slot is shared for up to a second, one read for a crowd."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest

from portal.booking.fullness import FullSlot, FullSlotReadings
from tests.support.aio import run

SLOT = UUID(int=1)
OTHER_SLOT = UUID(int=2)
CARDIOLOGY = UUID(int=10)
EYES = UUID(int=11)
NOON = 1_800_000_000.0


def reading(department: UUID = CARDIOLOGY) -> FullSlot:
    slot: Any = SimpleNamespace(schedule=SimpleNamespace(department_id=department))
    return FullSlot(slot=slot, nearest=(), session_full=False)


class Database:
    """Counts reads; each read takes a moment (so a crowd arrives during it)."""

    def __init__(self, department: UUID = CARDIOLOGY, fail: bool = False) -> None:
        self.reads = 0
        self.department = department
        self.fail = fail

    async def read(self) -> FullSlot:
        self.reads += 1
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("the database went away")
        return reading(self.department)


def test_a_crowd_asking_at_once_shares_one_read() -> None:
    async def scenario() -> None:
        readings, db = FullSlotReadings(), Database()
        answers = await asyncio.gather(*(readings.of(SLOT, NOON, db.read) for _ in range(50)))
        assert db.reads == 1 and readings.reads == 1
        assert all(answer is answers[0] for answer in answers)
        await readings.of(SLOT, NOON + 0.5, db.read)  # half a second later: still shared
        await readings.of(OTHER_SLOT, NOON + 0.5, db.read)  # another slot: its own read
        assert db.reads == 2

    run(scenario())


def test_a_reading_a_second_old_is_read_again_by_either_clock() -> None:
    async def scenario() -> None:
        readings, db = FullSlotReadings(max_age_seconds=0.05), Database()
        await readings.of(SLOT, NOON, db.read)
        await readings.of(SLOT, NOON + 0.06, db.read)  # the hospital's clock moved on
        assert db.reads == 2
        await readings.of(SLOT, NOON + 0.06, db.read)
        assert db.reads == 2
        await asyncio.sleep(0.06)  # the wall clock moved on (a test's frozen clock did not)
        await readings.of(SLOT, NOON + 0.06, db.read)
        assert db.reads == 3
        await readings.of(SLOT, NOON - 10, db.read)  # a clock set back never reuses a reading
        assert db.reads == 4

    run(scenario())


def test_a_booking_in_the_department_drops_its_readings_and_only_those() -> None:
    async def scenario() -> None:
        readings = FullSlotReadings()
        cardiology, eyes = Database(CARDIOLOGY), Database(EYES)
        await readings.of(SLOT, NOON, cardiology.read)
        await readings.of(OTHER_SLOT, NOON, eyes.read)
        readings.forget_department(CARDIOLOGY)
        await readings.of(SLOT, NOON, cardiology.read)
        await readings.of(OTHER_SLOT, NOON, eyes.read)
        assert (cardiology.reads, eyes.reads) == (2, 1)

    run(scenario())


def test_a_booking_during_a_read_drops_the_read_under_way() -> None:
    async def scenario() -> None:
        readings, db = FullSlotReadings(), Database()
        under_way = asyncio.ensure_future(readings.of(SLOT, NOON, db.read))
        await asyncio.sleep(0)
        readings.forget_department(EYES)  # its department is not known until it ends
        await under_way
        await readings.of(SLOT, NOON, db.read)
        assert db.reads == 2

    run(scenario())


def test_a_failed_read_is_not_kept_and_the_crowd_reads_for_itself() -> None:
    async def scenario() -> None:
        readings, broken = FullSlotReadings(), Database(fail=True)
        answers = await asyncio.gather(
            *(readings.of(SLOT, NOON, broken.read) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(answer, RuntimeError) for answer in answers)
        assert broken.reads == 3  # the first read, then each waiter's own
        working = Database()
        assert await readings.of(SLOT, NOON, working.read) is not None
        assert working.reads == 1

    run(scenario())


def test_a_cancelled_request_does_not_cancel_the_reading_the_others_wait_for() -> None:
    async def scenario() -> None:
        readings, db = FullSlotReadings(), Database()
        first = asyncio.ensure_future(readings.of(SLOT, NOON, db.read))
        await asyncio.sleep(0)
        waiter = asyncio.ensure_future(readings.of(SLOT, NOON, db.read))
        other = asyncio.ensure_future(readings.of(SLOT, NOON, db.read))
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert await other is await first
        assert db.reads == 1

    run(scenario())
