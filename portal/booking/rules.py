"""The booking rules as plain functions of time and settings (no database), so each edge can be
tested to the minute: when a day's places open, when cancelling closes, when no-shows lock."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.settings import BookingSettings


def aware(moment: datetime) -> datetime:
    """Datetimes from SQLite may come back naive; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def release_moment(day: date, settings: BookingSettings, zone: ZoneInfo) -> datetime:
    """When places for ``day`` open: ``release_days_ahead`` days before, at ``release_time``."""
    opens_on = day - timedelta(days=settings.release_days_ahead)
    return datetime.combine(opens_on, settings.release_clock, tzinfo=zone)


def last_open_day(now: datetime, settings: BookingSettings, zone: ZoneInfo) -> date:
    """The latest visit day whose places are open at ``now``."""
    local = now.astimezone(zone)
    day = local.date() + timedelta(days=settings.release_days_ahead)
    if local.timetz().replace(tzinfo=None) < settings.release_clock:
        day -= timedelta(days=1)
    return day


def is_released(day: date, now: datetime, settings: BookingSettings, zone: ZoneInfo) -> bool:
    return now >= release_moment(day, settings, zone)


def cancel_deadline(slot_starts_at: datetime, settings: BookingSettings) -> datetime:
    """The last moment to cancel online: the cut-off before the slot begins (exclusive)."""
    return aware(slot_starts_at) - timedelta(minutes=settings.cancel_cutoff_minutes)


def can_cancel(slot_starts_at: datetime, now: datetime, settings: BookingSettings) -> bool:
    """Cancelling is allowed strictly before the deadline; at the deadline minute it is over."""
    return now < cancel_deadline(slot_starts_at, settings)


def booking_locked_until(
    no_show_ends: Iterable[datetime], now: datetime, settings: BookingSettings
) -> datetime | None:
    """When the no-show lock ends, or None when booking is not locked.

    ``no_show_ends`` are the ends of the slots a patient missed. Whenever ``no_show_limit`` of
    them fall within ``no_show_window_days``, booking locks for ``no_show_lock_days`` from the
    last of them.
    """
    ends = sorted(aware(moment) for moment in no_show_ends)
    limit = settings.no_show_limit
    window = timedelta(days=settings.no_show_window_days)
    locked_until: datetime | None = None
    for index in range(limit - 1, len(ends)):
        if ends[index] - ends[index - limit + 1] <= window:
            candidate = ends[index] + timedelta(days=settings.no_show_lock_days)
            if locked_until is None or candidate > locked_until:
                locked_until = candidate
    if locked_until is not None and now < locked_until:
        return locked_until
    return None


def rerelease_moment(
    now: datetime,
    slot_starts_at: datetime,
    settings: BookingSettings,
    rng: random.Random | None = None,
) -> datetime:
    """A random moment, a short while from now, when a returned place goes back on sale.

    The randomness is against scalpers (号贩子) who cancel and re-book for a client on cue. A place
    never waits past the start of its own slot.
    """
    pick = (rng or random).uniform(
        settings.rerelease_delay_min_minutes * 60, settings.rerelease_delay_max_minutes * 60
    )
    return min(now + timedelta(seconds=pick), aware(slot_starts_at))


def offer_hold_until(
    now: datetime, slot_starts_at: datetime, settings: BookingSettings
) -> datetime:
    """How long an offered place is kept for a waiting patient (never past the slot's start)."""
    return min(now + timedelta(minutes=settings.waitlist_hold_minutes), aware(slot_starts_at))
