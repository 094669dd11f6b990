"""A session is written back only when it changed (or its renewal is a few minutes old): an
unchanged page costs no store write and sends no Set-Cookie; the idle expiry still slides."""

from __future__ import annotations

from typing import Any

import pytest

from portal.web import sessions
from tests.support.client import PortalClient

PHONE = "13700000041"


def session_cookie_sent(response: Any) -> bool:
    return any(h.startswith("ymt_session=") for h in response.headers.get_list("set-cookie"))


class Writes:
    """Counts the session store's writes."""

    def __init__(self, client: PortalClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        store_class = type(client.app.stores.get("sessions"))
        original = store_class.set

        async def counting(store: Any, *args: Any, **kwargs: Any) -> None:
            self.count += 1
            await original(store, *args, **kwargs)

        monkeypatch.setattr(store_class, "set", counting)


def test_an_unchanged_page_writes_no_session_and_sends_no_cookie(
    client: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.log_in(PHONE)
    writes = Writes(client, monkeypatch)
    for path in ("/", "/queue", "/appointments", "/patients"):
        response = client.get(path)
        assert response.status_code == 200
        assert not session_cookie_sent(response), path
    assert writes.count == 0


def test_a_change_is_written_at_once(client: PortalClient, monkeypatch: pytest.MonkeyPatch) -> None:
    client.log_in(PHONE)
    writes = Writes(client, monkeypatch)
    response = client.submit("/settings/mode", {"mode": "elder"})
    assert writes.count == 1 and session_cookie_sent(response)
    assert "elder" in client.get("/").text.split("<html", 1)[1].split(">", 1)[0]


def test_the_idle_expiry_is_renewed_after_a_few_minutes(
    client: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.log_in(PHONE)
    writes = Writes(client, monkeypatch)
    now = [sessions.time.time()]
    monkeypatch.setattr(sessions.time, "time", lambda: now[0])
    assert not session_cookie_sent(client.get("/queue"))
    now[0] += sessions.RENEW_SECONDS + 1
    renewed = client.get("/queue")
    assert session_cookie_sent(renewed) and writes.count == 1
    assert not session_cookie_sent(client.get("/queue"))  # and then quiet again
    assert writes.count == 1


def test_logging_out_leaves_no_session_behind(
    client: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renewal time is bookkeeping: a session holding nothing else is cleared (the cookie is
    emptied and the stored entry deleted), not kept alive for it."""
    client.log_in(PHONE)
    response = client.submit("/logout")
    assert response.status_code == 303
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("ymt_session=")
    )
    assert cookie.startswith("ymt_session=null")
    assert client.get("/queue", follow_redirects=False).status_code == 303
