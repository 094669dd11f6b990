"""A phone's "has anything changed?": a short fingerprint of everything an account's queue page
shows, so an unchanged page is answered 304 (see ``portal.queue.follower`` for the copy kept in
memory between events)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import patient_ids_of
from portal.core.clock import Clock
from portal.queue.models import Queue, Ticket


@dataclass(frozen=True)
class AccountSnapshot:
    """An account's fingerprint and what it depends on: the versions of the queues its tickets
    are in, and the patients it manages (a check-in of one of them changes the page too)."""

    fingerprint: str
    queues: dict[str, int]
    patients: frozenset[str]


class Fingerprints:
    """Reads an account's fingerprint from the database."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def account_snapshot(self, account_id: UUID) -> AccountSnapshot:
        """The fingerprint of today's tickets of the account's patients (ticket, status,
        queue version), and what it depends on."""
        patients = await patient_ids_of(self.session, account_id)
        rows = []
        if patients:
            rows = list(
                (
                    await self.session.execute(
                        select(Ticket.id, Ticket.status, Queue.id, Queue.version)
                        .join(Queue, Queue.id == Ticket.queue_id)
                        .where(
                            Ticket.patient_id.in_(patients),
                            Queue.service_day == self.clock.today(),
                        )
                        .order_by(Ticket.id)
                    )
                ).all()
            )
        fingerprint = "-".join(
            f"{str(tid)[-6:]}{status[0]}{version}" for tid, status, _q, version in rows
        )
        return AccountSnapshot(
            fingerprint=fingerprint or "none",
            queues={str(queue_id): version for _t, _s, queue_id, version in rows},
            patients=frozenset(str(p) for p in patients),
        )

    async def account_version(self, account_id: UUID) -> str:
        return (await self.account_snapshot(account_id)).fingerprint
