"""Patient login by SMS code, through the real pages."""

from __future__ import annotations

import pytest

from tests.support.client import PortalClient

PHONE = "13700000001"


def test_login_with_outbox_code_starts_a_session(client: PortalClient) -> None:
    client.log_in(PHONE)
    page = client.get("/patients")
    assert page.status_code == 200
    assert "Add a family member" in page.text or "添加就诊人" in page.text


def test_first_login_goes_to_adding_a_family_member(client: PortalClient) -> None:
    client.submit("/login/code", {"phone": PHONE})
    response = client.submit("/login/verify", {"code": client.latest_code(PHONE)})
    assert response.headers["location"] == "/patients/new?first=1"


def test_wrong_phone_keeps_what_was_typed_and_says_why(client: PortalClient) -> None:
    response = client.submit("/login/code", {"phone": "12345"})
    assert response.status_code == 400
    assert 'value="12345"' in response.text
    assert "11" in response.text and 'aria-invalid="true"' in response.text


def test_a_second_code_within_a_minute_is_refused(client: PortalClient) -> None:
    assert client.submit("/login/code", {"phone": PHONE}).status_code == 303
    again = client.submit("/login/code", {"phone": PHONE})
    assert again.status_code == 400
    # The clock stands still: a whole minute to wait (the digits, not any 6 and 0 on the page,
    # such as in a random CSRF token).
    assert "验证码刚刚已发送，60 秒后可以重新获取。" in again.text


def test_a_new_code_is_allowed_after_the_minute(client: PortalClient, clock) -> None:
    assert client.submit("/login/code", {"phone": PHONE}).status_code == 303
    clock.advance(seconds=61)
    assert client.submit("/login/code", {"phone": PHONE}).status_code == 303


def test_codes_per_hour_are_bounded(client: PortalClient, clock) -> None:
    for _ in range(5):
        assert client.submit("/login/code", {"phone": PHONE}).status_code == 303
        clock.advance(seconds=61)
    refused = client.submit("/login/code", {"phone": PHONE})
    assert refused.status_code == 400
    clock.advance(hours=1)
    assert client.submit("/login/code", {"phone": PHONE}).status_code == 303


def test_wrong_code_counts_down_then_locks(client: PortalClient) -> None:
    client.submit("/login/code", {"phone": PHONE})
    right = client.latest_code(PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(4):
        response = client.submit("/login/verify", {"code": wrong})
        assert response.status_code == 400
        assert f'value="{wrong}"' in response.text
    fifth = client.submit("/login/verify", {"code": wrong})
    assert fifth.status_code == 400
    # After five wrong tries even the right code no longer works.
    assert client.submit("/login/verify", {"code": right}).status_code == 400


def test_code_expires_after_five_minutes(client: PortalClient, clock) -> None:
    client.submit("/login/code", {"phone": PHONE})
    code = client.latest_code(PHONE)
    clock.advance(minutes=5, seconds=1)
    assert client.submit("/login/verify", {"code": code}).status_code == 400


def test_code_works_once(client: PortalClient) -> None:
    client.log_in(PHONE)
    client.submit("/logout")
    client.submit(
        "/login/code", {"phone": PHONE}
    )  # a new code is refused (the minute) — reuse the old one
    response = client.submit("/login/verify", {"code": client.latest_code(PHONE)})
    assert response.status_code in (303, 400)


def test_codes_are_stored_hashed(client: PortalClient) -> None:
    from sqlalchemy import select

    from portal.accounts.models import LoginCode

    client.submit("/login/code", {"phone": PHONE})
    code = client.latest_code(PHONE)

    async def stored(session) -> list[str]:
        return list((await session.scalars(select(LoginCode.code_hash))).all())

    hashes = client.db(stored)
    assert hashes and all(code not in h for h in hashes)


def test_logout_ends_the_session(client: PortalClient) -> None:
    client.log_in(PHONE)
    assert client.get("/patients").status_code == 200
    client.submit("/logout")
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_session_id_changes_at_login(client: PortalClient) -> None:
    client.submit("/login/code", {"phone": PHONE})
    before = client.cookies.get("ymt_session")
    client.submit("/login/verify", {"code": client.latest_code(PHONE)})
    after = client.cookies.get("ymt_session")
    assert before and after and before != after


def test_post_without_csrf_token_is_refused_kindly(client: PortalClient) -> None:
    response = client.post("/login/code", data={"phone": PHONE})
    assert response.status_code == 403
    assert "Traceback" not in response.text
    assert "<html" in response.text


@pytest.mark.parametrize("path", ["/patients", "/patients/new"])
def test_patient_pages_ask_for_login(client: PortalClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
