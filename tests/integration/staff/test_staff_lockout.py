"""Wrong staff passwords lock the username for longer and longer; an administrator unlocks it;
unknown usernames are answered exactly like known ones. Every step is in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.touchpoints import Role, Touchpoint
from portal.staff.models import LoginGuard
from tests.support.cards import STAFF_PASSWORD, make_staff, staff_login
from tests.support.client import PortalClient

LOCKED = "Too many wrong passwords for this username"
NOT_RIGHT = "The username or password is not right"


@pytest.fixture
def desk(client: PortalClient) -> PortalClient:
    """A hospital with a triage nurse ``zhou``, in English (the messages are read below)."""
    client.cookies.set("ymt_lang", "en")
    make_staff(client, "zhou", Role.NURSE, [Touchpoint.TRIAGE])
    return client


def try_login(client: PortalClient, username: str, password: str = "not-the-password") -> Any:
    return client.submit("/staff/login", {"username": username, "password": password})


def refusal(response: Any) -> str:
    """Which refusal a login page shows: "locked", "not right" (or the status if neither)."""
    assert response.status_code == 400, response.status_code
    if LOCKED in response.text:
        return "locked"
    if NOT_RIGHT in response.text:
        return "not right"
    raise AssertionError(response.text[:500])


def audit(client: PortalClient, action: str, outcome: str | None = None) -> list[AuditEvent]:
    async def work(db: Any) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.action == action)
        if outcome is not None:
            query = query.where(AuditEvent.outcome == outcome)
        return list(await db.scalars(query.order_by(AuditEvent.created_at)))

    return list(client.db(work))


def test_the_fifth_wrong_password_locks_the_username_even_for_the_right_one(
    desk: PortalClient,
) -> None:
    assert [refusal(try_login(desk, "zhou")) for _ in range(4)] == ["not right"] * 4
    fifth = try_login(desk, "zhou")
    assert refusal(fifth) == "locked"
    # When to come back (09:00 + 1 minute) and who can help, in plain words.
    assert "09:01" in fifth.text and "administrator" in fifth.text
    assert refusal(try_login(desk, "zhou", STAFF_PASSWORD)) == "locked"

    assert len(audit(desk, "staff.login", "wrong_password")) == 5
    (lockout,) = audit(desk, "staff.lockout", "locked")
    assert lockout.actor_name == "zhou" and "after 5 wrong passwords" in (lockout.detail or "")
    assert len(audit(desk, "staff.login", "locked")) == 1  # the right password, refused


def test_the_lock_lifts_after_its_time_and_grows_with_each_round(desk: PortalClient) -> None:
    clock = desk.app.state.clock
    for minutes, shown in ((1, "09:01"), (5, "09:06"), (15, "09:21"), (60, "10:21")):
        for _ in range(4):
            assert refusal(try_login(desk, "zhou")) == "not right"
        locked = try_login(desk, "zhou")
        assert refusal(locked) == "locked" and shown in locked.text, (minutes, shown)
        clock.advance(minutes=minutes, seconds=-1)
        assert refusal(try_login(desk, "zhou", STAFF_PASSWORD)) == "locked"
        clock.advance(seconds=1)
    # The hour is over: the right password works again and the count starts afresh.
    staff_login(desk, "zhou")
    desk.submit("/staff/logout")
    for _ in range(4):
        assert refusal(try_login(desk, "zhou")) == "not right"
    assert len(audit(desk, "staff.lockout")) == 4


def test_a_good_login_clears_the_count(desk: PortalClient) -> None:
    for _ in range(4):
        try_login(desk, "zhou")
    staff_login(desk, "zhou")
    desk.submit("/staff/logout")
    assert [refusal(try_login(desk, "zhou")) for _ in range(4)] == ["not right"] * 4
    assert refusal(try_login(desk, "zhou")) == "locked"


def test_wrong_passwords_are_forgotten_after_a_day(desk: PortalClient) -> None:
    for _ in range(4):
        try_login(desk, "zhou")
    desk.app.state.clock.advance(hours=24)
    assert [refusal(try_login(desk, "zhou")) for _ in range(4)] == ["not right"] * 4


def test_the_right_password_of_a_deactivated_account_counts_as_a_wrong_one(
    desk: PortalClient,
) -> None:
    from sqlalchemy import update

    from portal.staff.models import Staff

    async def deactivate(db: Any) -> None:
        await db.execute(update(Staff).where(Staff.username == "zhou").values(active=False))
        await db.commit()

    desk.db(deactivate)
    assert [refusal(try_login(desk, "zhou", STAFF_PASSWORD)) for _ in range(5)] == [
        "not right"
    ] * 4 + ["locked"]


def test_an_unknown_username_is_answered_like_a_known_one(
    desk: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.staff import services

    checked: list[str] = []
    real = services._password_matches

    async def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return await real(password_hash, password)

    monkeypatch.setattr(services, "_password_matches", counting)
    known = [try_login(desk, "zhou") for _ in range(6)]
    unknown = [try_login(desk, "nobody") for _ in range(6)]
    for mine, theirs in zip(known, unknown, strict=True):
        assert refusal(mine) == refusal(theirs)
        # The same page, but for the username typed back into the form.
        assert mine.text.replace('value="zhou"', "") == theirs.text.replace('value="nobody"', "")
    # Both paid for an argon2 check on each of their five counted tries (the unknown one against
    # a dummy hash), and neither was checked while locked.
    assert len(checked) == 10 and all(h.startswith("$argon2") for h in checked)
    assert len(audit(desk, "staff.lockout")) == 2


def test_an_administrator_unlocks_an_account_on_the_staff_accounts_page(
    desk: PortalClient,
) -> None:
    for _ in range(5):
        try_login(desk, "zhou")
    make_staff(desk, "boss", Role.ADMIN, [])
    staff_login(desk, "boss")
    page = desk.get("/staff/accounts")
    assert page.status_code == 200 and 'data-locked="zhou"' in page.text
    assert "09:01" in page.text

    async def zhou_id(db: Any) -> str:
        from portal.staff.models import Staff

        return str(await db.scalar(select(Staff.id).where(Staff.username == "zhou")))

    unlock = f"/staff/accounts/{desk.db(zhou_id)}/unlock"
    assert desk.post(unlock, data={}).status_code == 403  # no CSRF token: refused
    response = desk.submit(unlock)
    assert response.status_code == 303
    after = desk.get(response.headers["location"])
    assert "zhou" in after.text and "can log in again" in after.text
    assert 'data-locked="zhou"' not in after.text
    (event,) = audit(desk, "staff.unlock", "ok")
    assert event.detail == "zhou" and "boss" in event.actor_name

    desk.submit("/staff/logout")
    staff_login(desk, "zhou")

    async def guard(db: Any) -> LoginGuard:
        return await db.scalar(select(LoginGuard).where(LoginGuard.username == "zhou"))

    assert desk.db(guard).failures == 0


def test_only_administrators_see_the_staff_accounts_page(desk: PortalClient) -> None:
    staff_login(desk, "zhou")
    assert desk.get("/staff/accounts").status_code == 403
    assert (
        desk.submit("/staff/accounts/00000000-0000-0000-0000-000000000000/unlock").status_code
        == 403
    )
    desk.submit("/staff/logout")
    response = desk.get("/staff/accounts", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_the_locked_message_is_in_the_desk_s_language(desk: PortalClient) -> None:
    desk.cookies.set("ymt_lang", "zh_Hans")
    for _ in range(5):
        last = try_login(desk, "zhou")
    assert last.status_code == 400
    assert "输错密码的次数太多" in last.text and "09:01" in last.text and "管理员" in last.text
