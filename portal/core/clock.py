"""The hospital's clock. Rules ask it for "now" so tests can hold time still."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def aware(moment: datetime) -> datetime:
    """A stored moment as aware UTC (SQLite hands back naive UTC datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Clock:
    """Wall-clock time, in UTC and in the hospital's time zone."""

    def __init__(self, zone: ZoneInfo, offset_seconds: float = 0) -> None:
        self.zone = zone
        self.offset = timedelta(seconds=offset_seconds)

    def now(self) -> datetime:
        """Aware UTC now (moved by the offset a test or demo server may set)."""
        return datetime.now(UTC) + self.offset

    def local_now(self) -> datetime:
        return self.now().astimezone(self.zone)

    def today(self) -> date:
        return self.local_now().date()

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)


class FrozenClock(Clock):
    """A clock that says what a test tells it to (and can be moved forward)."""

    def __init__(self, zone: ZoneInfo, at: datetime) -> None:
        super().__init__(zone)
        self.at = at if at.tzinfo else at.replace(tzinfo=zone)

    def now(self) -> datetime:
        return self.at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.at = self.at + timedelta(**delta)
