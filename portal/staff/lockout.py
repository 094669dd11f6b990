"""Staff login lockout, per username: wrong passwords earn a lock that grows.

The numbers (what a hospital's desks can live with):

- the first 4 wrong passwords in a row cost nothing (a nurse mistyping at a shift change);
- the 5th locks the username for 1 minute, the 10th for 5 minutes, the 15th for 15 minutes, and
  every 5 more after that for an hour;
- a good login ends the streak; so does a day (24 hours) without a wrong password;
- an administrator can unlock at once on ``/staff/accounts`` (or ``python -m portal
  unlock-staff``), so a locked-out doctor waits minutes only when nobody is there to help.

Someone guessing one username therefore gets 5 tries per hour after the first half hour, about
120 a day: nothing against a 10-character password. Every wrong password, every lock and every
unlock goes into the audit log, and so does every try refused because of a lock.

A try is counted *before* its password is checked, with the username's row locked (and on SQLite
the write lock taken): 20 concurrent guesses cannot all reach the password check. The 5th
counted try locks the username at once, and the others are refused without a check. A good
password on a try that set a lock lifts it again.

The count is kept per username as typed, not per account: usernames nobody has are counted and
locked the same way, so neither the message nor the timing tells whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.audit.services import record
from portal.core.actor import Actor
from portal.core.clock import Clock, aware
from portal.core.errors import RuleError
from portal.core.i18n import format_clock
from portal.core.i18n import gettext as _
from portal.db.transactions import begin_write, insert_if_absent
from portal.staff.models import LoginGuard, Staff

FAILURES_PER_STEP = 5
LOCK_STEPS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
"""How long the 5th, 10th, 15th wrong password lock the username; the last repeats."""
FORGET_AFTER = timedelta(hours=24)
"""A streak of wrong passwords is forgotten this long after its last one."""

# Audit actions and outcomes.
LOGIN = "staff.login"
LOCKOUT = "staff.lockout"
UNLOCK = "staff.unlock"
MISTYPED = "wrong_password"
LOCKED = "locked"


def lock_after(failures: int) -> timedelta | None:
    """The lock the ``failures``-th wrong password in a row earns (None: no lock)."""
    if failures <= 0 or failures % FAILURES_PER_STEP:
        return None
    step = failures // FAILURES_PER_STEP
    return LOCK_STEPS[min(step, len(LOCK_STEPS)) - 1]


class UsernameLocked(RuleError):
    """Too many wrong passwords for this username: refused, even with the right one."""

    def __init__(self, until: datetime, clock: Clock) -> None:
        # Show the first whole minute at which a try is accepted again (never a minute too early).
        shown = clock.local(until) + timedelta(seconds=59)
        super().__init__(
            _(
                "Too many wrong passwords for this username. Please try again after %(time)s, "
                "or ask an administrator to unlock it now.",
                time=format_clock(shown.replace(second=0, microsecond=0)),
            ),
            "password",
        )
        self.until = until


@dataclass(frozen=True)
class Attempt:
    """One counted try: its place in the streak and the lock it set (lifted if it succeeds)."""

    username: str
    failures: int
    locked_until: datetime | None


async def begin_attempt(
    session: AsyncSession, username: str, clock: Clock, actor: Actor
) -> Attempt:
    """Count a try for ``username`` before its password is checked, and commit.

    Raises ``UsernameLocked`` (after auditing the refusal) while the username is locked. The slow
    password check runs after this transaction, never inside it."""
    now = clock.now()
    await begin_write(session)
    try:
        await insert_if_absent(session, LoginGuard, username=username, failures=0)
        # The row lock makes concurrent tries for one username take turns (SQLite: the write
        # lock, taken above): each sees the count and the lock the one before it left.
        guard = (
            await session.scalars(
                select(LoginGuard)
                .where(LoginGuard.username == username)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).one()
        if guard.locked_until is not None and aware(guard.locked_until) > now:
            until = aware(guard.locked_until)
            await record(session, actor, LOGIN, LOCKED, detail=f"until {until.isoformat()}", at=now)
            await session.commit()
            raise UsernameLocked(until, clock)
        if guard.last_try_at is None or now - aware(guard.last_try_at) >= FORGET_AFTER:
            guard.failures = 0
        guard.failures += 1
        guard.last_try_at = now
        lock = lock_after(guard.failures)
        guard.locked_until = now + lock if lock else None
        attempt = Attempt(username, guard.failures, guard.locked_until)
        await session.commit()
        return attempt
    except BaseException:
        await session.rollback()
        raise


async def attempt_failed(
    session: AsyncSession, attempt: Attempt, actor: Actor, now: datetime
) -> None:
    """The password was wrong (or the account inactive): audit it, and the lock it earned."""
    await begin_write(session)
    await record(session, actor, LOGIN, MISTYPED, detail=f"{attempt.failures} in a row", at=now)
    if attempt.locked_until is not None:
        await record(
            session,
            actor,
            LOCKOUT,
            LOCKED,
            detail=f"until {attempt.locked_until.isoformat()}, "
            f"after {attempt.failures} wrong passwords",
            at=now,
        )
    # Streaks a day old are as good as none: drop them, so usernames typed once (or tried by
    # someone guessing) do not pile up. Rows another try holds are skipped, never waited for.
    stale = (
        select(LoginGuard.id)
        .where(LoginGuard.last_try_at < now - FORGET_AFTER)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(LoginGuard).where(LoginGuard.id.in_(stale)))
    await session.commit()


async def attempt_succeeded(session: AsyncSession, username: str) -> None:
    """Inside the caller's write transaction: the streak ends, and a lock this try set is lifted."""
    await session.execute(
        update(LoginGuard)
        .where(LoginGuard.username == username)
        .values(failures=0, locked_until=None)
    )


@dataclass(frozen=True)
class LockedAccount:
    staff: Staff
    failures: int
    locked_until: datetime


async def locked_accounts(session: AsyncSession, now: datetime) -> list[LockedAccount]:
    """Staff accounts whose username is locked now, the longest-locked first."""
    rows = await session.execute(
        select(Staff, LoginGuard.failures, LoginGuard.locked_until)
        .join(LoginGuard, LoginGuard.username == Staff.username)
        .where(LoginGuard.locked_until > now)
        .order_by(LoginGuard.locked_until.desc(), Staff.username)
    )
    return [
        LockedAccount(staff, failures, aware(until))
        for staff, failures, until in rows
        if until is not None
    ]


async def unlock(session: AsyncSession, username: str, actor: Actor, now: datetime) -> bool:
    """Lift the lock on ``username`` and forget its wrong passwords; audited. Returns whether it
    was locked."""
    await begin_write(session)
    guard = await session.scalar(
        select(LoginGuard)
        .where(LoginGuard.username == username)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    was_locked = (
        guard is not None and guard.locked_until is not None and aware(guard.locked_until) > now
    )
    if guard is not None:
        guard.failures, guard.locked_until = 0, None
    await record(
        session,
        actor,
        UNLOCK,
        "ok" if was_locked else "not_locked",
        detail=username,
        at=now,
    )
    await session.commit()
    return was_locked
