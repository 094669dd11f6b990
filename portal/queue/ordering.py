"""Who is next, and how long the wait is: pure rules, tested at their edges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from portal.core.clock import aware

MIN_SERVICE = timedelta(minutes=1)
MAX_SERVICE = timedelta(minutes=30)
RECENT = 10


class Orderable(Protocol):
    band: int
    priority: int
    slot_starts_at: datetime
    checked_in_at: datetime
    number: str


def order_key(ticket: Orderable) -> tuple[int, int, datetime, datetime, str]:
    """On time before late before returned-after-missing; within a band, 80+ first; then by
    appointment time, then by arrival."""
    return (
        ticket.band,
        -ticket.priority,
        aware(ticket.slot_starts_at),
        aware(ticket.checked_in_at),
        ticket.number,
    )


T = TypeVar("T", bound=Orderable)


def in_order(tickets: Sequence[T]) -> list[T]:
    return sorted(tickets, key=order_key)


def service_time(durations: Sequence[timedelta], default: timedelta) -> timedelta:
    """The typical time per patient: the mean of the most recent finished visits, within sane
    bounds, or the configured default until someone has been seen."""
    recent = [d for d in durations[-RECENT:] if d > timedelta(0)]
    if not recent:
        return default
    mean = sum(recent, timedelta(0)) / len(recent)
    return min(max(mean, MIN_SERVICE), MAX_SERVICE)


def estimated_wait(ahead: int, per_patient: timedelta) -> int:
    """Minutes until one's turn, rounded up; zero when nobody is ahead."""
    if ahead <= 0:
        return 0
    seconds = ahead * per_patient.total_seconds()
    return int(-(-seconds // 60))
