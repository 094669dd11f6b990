"""A phone's "anything new?" is answered from memory until an event concerns its tickets."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from portal.queue.follower import MAX_AGE_SECONDS, QueueFollower
from portal.queue.services import AccountSnapshot
from tests.support.aio import run

ACCOUNT = UUID(int=1)
NOON = 1_800_000_000.0  # seconds; a fingerprint is kept for at most MAX_AGE_SECONDS after its read


class Database:
    """The account's patient p1 has a ticket in room q1. Counts the reads; a check-in ``during``
    a read (p1, for another room) commits after it looked, and is heard before it ends."""

    def __init__(self) -> None:
        self.reads = 0
        self.version = 3
        self.during = False
        self.follower = QueueFollower()

    async def read(self) -> AccountSnapshot:
        self.reads += 1
        snapshot = AccountSnapshot(f"v{self.reads}", {"q1": self.version}, frozenset({"p1"}))
        if self.during:
            self.during = False
            self.call("q7", patient="p1")
        return snapshot

    def call(self, queue: str, patient: str | None = None) -> None:
        """A change committed and announced (q1's version moves on)."""
        if queue == "q1":
            self.version += 1
        body: dict[str, object] = {"queue": queue, "kind": "called", "version": self.version}
        if patient:
            body["patient"] = patient
        self.follower.note(json.dumps(body).encode())

    def ask(self, at: float = NOON) -> str:
        return run(self.follower.fingerprint(ACCOUNT, at, self.read))


def test_unchanged_queues_are_answered_from_memory() -> None:
    db = Database()
    assert db.ask() == db.ask() == "v1" and db.reads == 1
    db.call("q2")  # another room's call
    db.follower.note(json.dumps({"queue": "q1", "version": 3}).encode())  # its room, heard late
    assert db.ask() == "v1" and db.reads == 1


def test_a_change_of_its_room_or_a_check_in_of_its_patient_is_read_again() -> None:
    db = Database()
    db.ask()
    db.call("q1")
    assert db.ask() == "v2"
    db.call("q7", patient="p1")  # checked in for another room
    assert db.ask() == "v3" and db.ask() == "v3" and db.reads == 3


def test_nothing_heard_during_a_read_is_lost() -> None:
    db = Database()
    db.during = True
    db.ask()
    assert db.ask() == "v2" and db.reads == 2  # not kept: read again
    assert db.ask() == "v2" and db.reads == 2


def test_a_missed_stretch_or_an_old_reading_reads_again() -> None:
    db = Database()
    db.ask()
    db.follower.forget()  # the channel reconnected
    assert db.ask() == "v2"
    assert db.ask(NOON + MAX_AGE_SECONDS - 1) == "v2"
    assert db.ask(NOON + MAX_AGE_SECONDS) == "v3"
    db.follower.note(b"not json")
    assert db.ask(NOON + MAX_AGE_SECONDS) == "v4"
    assert db.ask(NOON) == "v5"  # a clock set back never reuses a reading


def test_a_new_day_reads_again_at_once() -> None:
    """Today's tickets are the fingerprint's: at midnight yesterday's are not kept."""
    db = Database()
    today, tomorrow = date(2026, 12, 2), date(2026, 12, 3)
    assert run(db.follower.fingerprint(ACCOUNT, NOON, db.read, day=today)) == "v1"
    assert run(db.follower.fingerprint(ACCOUNT, NOON + 1, db.read, day=today)) == "v1"
    assert run(db.follower.fingerprint(ACCOUNT, NOON + 2, db.read, day=tomorrow)) == "v2"


def test_each_account_ages_from_its_own_read() -> None:
    """Phones that first asked at different moments go back to the database at different
    moments, not all at the same second."""
    follower = QueueFollower()
    reads: list[UUID] = []

    def asker(account: UUID) -> Any:
        async def read() -> AccountSnapshot:
            reads.append(account)
            return AccountSnapshot("v", {"q1": 1}, frozenset({"p1"}))

        return read

    accounts = [UUID(int=n) for n in range(1, 61)]
    for n, account in enumerate(accounts):  # first asks spread over a minute
        run(follower.fingerprint(account, NOON + n, asker(account)))
    reads.clear()
    for account in accounts:  # all ask again a moment before the first one's reading ages
        run(follower.fingerprint(account, NOON + MAX_AGE_SECONDS - 1, asker(account)))
    assert reads == []  # none has aged yet
    for account in accounts:
        run(follower.fingerprint(account, NOON + MAX_AGE_SECONDS + 30, asker(account)))
    assert reads == accounts[:31]  # those read in the first 31 seconds, not all sixty
