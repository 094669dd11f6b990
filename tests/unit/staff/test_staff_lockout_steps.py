"""The lockout's steps: which wrong password locks, and for how long."""

from __future__ import annotations

from datetime import timedelta

from portal.staff.lockout import lock_after


def test_every_fifth_wrong_password_locks_for_longer_up_to_an_hour() -> None:
    locks = {n: lock_after(n) for n in range(0, 41)}
    assert [n for n, lock in locks.items() if lock] == [5, 10, 15, 20, 25, 30, 35, 40]
    assert locks[5] == timedelta(minutes=1)
    assert locks[10] == timedelta(minutes=5)
    assert locks[15] == timedelta(minutes=15)
    assert locks[20] == locks[40] == timedelta(hours=1)
