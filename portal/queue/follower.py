"""What this app process has heard of the queues (``portal.queue.tasks`` follows every queue
event), so a phone asking "has anything changed?" is answered without the database.

Each event records its queue's new version, and a check-in its patient. An account's
fingerprint read from the database is kept with what it depended on; while none of its queues
changed, none of its patients checked in, and it is under five minutes old, it is answered from
memory. ``epoch`` moves on when events may have been missed (a reconnect): every kept
fingerprint is then read again.

The age limit only bounds what no event tells (a family member added or removed); a new day in
the hospital's time zone reads again at once. Each fingerprint ages from its own read, so
thousands of phones do not all go back to the database in the same second: with 15,000 phones,
fingerprints that all expired at each new minute sent every phone to the database at once, and
one process could not keep up.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from portal.queue.services import AccountSnapshot

KEPT_LIMIT = 50_000
"""Fingerprints kept at most (all are forgotten at once beyond it)."""
MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class _Known:
    """What an account's fingerprint depended on when it was read from the database."""

    epoch: int
    read_at: float
    day: date | None
    checkins: dict[str, int]
    snapshot: AccountSnapshot


@dataclass
class QueueFollower:
    """The versions and check-ins heard since this process started, and the fingerprints
    kept against them."""

    epoch: int = 0
    heard: int = 0
    """Events noted so far: one heard while a fingerprint is read means the read may be older
    than the event, so it is not kept."""
    versions: dict[str, int] = field(default_factory=dict)
    checkins: dict[str, int] = field(default_factory=dict)
    known: dict[UUID, _Known] = field(default_factory=dict)

    def note(self, raw: bytes | str) -> None:
        """One event heard on the followers' channel."""
        self.heard += 1
        try:
            event = json.loads(raw)
            self.versions[event["queue"]] = int(event["version"])
            if "patient" in event:
                self.checkins[event["patient"]] = self.checkins.get(event["patient"], 0) + 1
        except (ValueError, KeyError, TypeError):
            self.forget()  # an event we cannot read: forget everything kept

    def forget(self) -> None:
        """Events may have been missed: every kept fingerprint is read again."""
        self.epoch += 1

    async def fingerprint(
        self,
        account_id: UUID,
        now_seconds: float,
        read: Callable[[], Awaitable[AccountSnapshot]],
        *,
        day: date | None = None,
    ) -> str:
        """The account's queue fingerprint: from memory while none of its queues changed and none
        of its patients checked in since it was read (and it is under ``MAX_AGE_SECONDS`` old),
        else ``read`` from the database."""
        known = self.known.get(account_id)
        if (
            known is not None
            and known.epoch == self.epoch
            and 0 <= now_seconds - known.read_at < MAX_AGE_SECONDS
            and known.day == day
            and all(
                self.versions.get(queue, version) == version
                for queue, version in known.snapshot.queues.items()
            )
            and all(self.checkins.get(p, 0) == count for p, count in known.checkins.items())
        ):
            return known.snapshot.fingerprint
        epoch, heard = self.epoch, self.heard
        snapshot = await read()
        if (self.epoch, self.heard) != (epoch, heard):
            return snapshot.fingerprint  # something happened during the read: ask again next time
        seen = {p: self.checkins.get(p, 0) for p in snapshot.patients}
        if len(self.known) >= KEPT_LIMIT:
            self.known.clear()
        self.known[account_id] = _Known(epoch, now_seconds, day, seen, snapshot)
        return snapshot.fingerprint
