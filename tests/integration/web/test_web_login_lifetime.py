"""A patient's login ends 30 days after it began, however often it is used: an open /queue tab
refreshes the session's idle expiry, and must not keep a login alive forever."""

from __future__ import annotations

from typing import Any

from tests.support.client import PortalClient

PHONE = "13700000031"


def test_a_login_used_every_day_still_ends_after_thirty_days(
    client: PortalClient, clock: Any
) -> None:
    client.log_in(PHONE)
    for _day in range(29):
        clock.advance(days=1)
        assert client.get("/queue").status_code == 200  # used daily: never idle
    clock.advance(hours=23)
    assert client.get("/queue").status_code == 200  # 29 days 23 hours: still in
    clock.advance(hours=1, seconds=1)
    response = client.get("/queue", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    # Ended for good, not only for this request.
    assert client.get("/appointments", follow_redirects=False).status_code == 303


def test_a_new_login_starts_a_new_thirty_days(client: PortalClient, clock: Any) -> None:
    client.log_in(PHONE)
    clock.advance(days=31)
    assert client.get("/queue", follow_redirects=False).status_code == 303
    clock.advance(seconds=61)  # the code limit allows a new code
    client.log_in(PHONE)
    assert client.get("/queue").status_code == 200
