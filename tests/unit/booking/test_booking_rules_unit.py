"""The booking rules as pure functions, to the minute."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.booking import rules
from portal.settings import BookingSettings, SettingsError

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = BookingSettings(
    release_days_ahead=7,
    release_time="07:30",
    cancel_cutoff_minutes=120,
    no_show_window_days=90,
    no_show_limit=3,
    no_show_lock_days=90,
    waitlist_hold_minutes=30,
    rerelease_delay_min_minutes=5,
    rerelease_delay_max_minutes=30,
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_places_for_a_day_open_seven_days_ahead_at_half_past_seven() -> None:
    assert rules.release_moment(date(2026, 12, 1), RULES, SHANGHAI) == local(2026, 11, 24, 7, 30)


@pytest.mark.parametrize(
    ("now", "last_open"),
    [
        (local(2026, 11, 24, 7, 29, 59), date(2026, 11, 30)),
        (local(2026, 11, 24, 7, 30), date(2026, 12, 1)),
        (local(2026, 11, 24, 23, 59), date(2026, 12, 1)),
        (local(2026, 11, 25, 0, 0), date(2026, 12, 1)),
    ],
)
def test_the_last_open_day_moves_at_the_release_minute(now: datetime, last_open: date) -> None:
    assert rules.last_open_day(now, RULES, SHANGHAI) == last_open
    assert rules.is_released(last_open, now, RULES, SHANGHAI)
    assert not rules.is_released(last_open + timedelta(days=1), now, RULES, SHANGHAI)


def test_release_is_judged_in_the_hospitals_time_zone_not_utc() -> None:
    # 07:30 in Shanghai is 23:30 UTC the evening before.
    now = datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert rules.last_open_day(now, RULES, SHANGHAI) == date(2026, 12, 1)


def test_cancelling_closes_at_the_cutoff_minute() -> None:
    starts = local(2026, 11, 25, 8, 0)
    assert rules.cancel_deadline(starts, RULES) == local(2026, 11, 25, 6, 0)
    assert rules.can_cancel(starts, local(2026, 11, 25, 5, 59, 59), RULES)
    assert not rules.can_cancel(starts, local(2026, 11, 25, 6, 0), RULES)


def test_naive_datetimes_from_sqlite_are_read_as_utc() -> None:
    naive = datetime(2026, 11, 25, 0, 0)  # 08:00 in Shanghai
    assert rules.cancel_deadline(naive, RULES) == local(2026, 11, 25, 6, 0)


def ends(*days: int) -> list[datetime]:
    return [local(2026, 9, 1, 9, 0) + timedelta(days=d) for d in days]


def test_two_no_shows_do_not_lock() -> None:
    assert rules.booking_locked_until(ends(0, 10), local(2026, 9, 20, 9, 0), RULES) is None


def test_the_third_no_show_within_the_window_locks_for_the_lock_period() -> None:
    missed = ends(0, 10, 20)
    until = rules.booking_locked_until(missed, missed[-1], RULES)
    assert until == missed[-1] + timedelta(days=90)
    # A minute before the lock ends: still locked; at its end: free again.
    assert rules.booking_locked_until(missed, until - timedelta(minutes=1), RULES) == until
    assert rules.booking_locked_until(missed, until, RULES) is None


def test_the_window_is_ninety_days_inclusive() -> None:
    inside = ends(0, 45, 90)
    assert rules.booking_locked_until(inside, inside[-1], RULES) is not None
    outside = ends(0, 45, 91)
    assert rules.booking_locked_until(outside, outside[-1], RULES) is None


def test_any_three_within_the_window_lock_even_after_older_ones() -> None:
    missed = ends(0, 200, 210, 220)
    assert rules.booking_locked_until(missed, missed[-1], RULES) == missed[-1] + timedelta(days=90)


def test_re_release_happens_within_the_delay_range_and_never_after_the_slot_starts() -> None:
    now = local(2026, 11, 24, 9, 0)
    far = local(2026, 12, 1, 8, 0)
    rng = random.Random(7)
    for _ in range(200):
        moment = rules.rerelease_moment(now, far, RULES, rng)
        assert now + timedelta(minutes=5) <= moment <= now + timedelta(minutes=30)
    soon = now + timedelta(minutes=3)
    assert rules.rerelease_moment(now, soon, RULES, rng) == soon


def test_an_offer_is_held_for_the_hold_minutes_but_not_past_the_slot() -> None:
    now = local(2026, 11, 24, 9, 0)
    assert rules.offer_hold_until(now, local(2026, 12, 1, 8, 0), RULES) == now + timedelta(
        minutes=30
    )
    soon = now + timedelta(minutes=10)
    assert rules.offer_hold_until(now, soon, RULES) == soon


@pytest.mark.parametrize(
    "broken",
    [
        {"release_time": "7h30"},
        {"rerelease_delay_min_minutes": 40, "rerelease_delay_max_minutes": 30},
        {"max_active_per_account": 0},
        {"release_days_ahead": -1},
    ],
)
def test_settings_that_contradict_themselves_are_refused(broken: dict[str, object]) -> None:
    with pytest.raises(SettingsError):
        BookingSettings(**broken).check()  # type: ignore[arg-type]


def test_the_release_time_may_have_seconds() -> None:
    assert BookingSettings(release_time="07:30:15").release_clock.second == 15
