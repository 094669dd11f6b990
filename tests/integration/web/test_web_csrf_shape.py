"""A CSRF token of the wrong shape (not ASCII, or a file) is refused like a wrong token: 403 and
the "open for too long" page, never a 500 (the form fuzzer found both)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import PortalClient

CSRF_PAGE = "This page was open for too long"


def refused_as_forged(response: Any) -> bool:
    return response.status_code == 403 and CSRF_PAGE in response.text


@pytest.fixture
def english(client: PortalClient) -> PortalClient:
    client.cookies.set("ymt_lang", "en")
    client.csrf_token()
    return client


def test_a_token_that_is_not_ascii_is_refused_not_a_500(english: PortalClient) -> None:
    token = english.csrf_token()
    for forged in ("é" * 80, token[:-1] + "９", token + "\u202e"):
        response = english.post("/settings/mode", data={"_csrf_token": forged, "mode": "elder"})
        assert refused_as_forged(response), forged
        response = english.post(
            "/settings/mode",
            data={"mode": "elder"},
            headers={b"x-csrftoken": forged.encode()},
        )
        assert refused_as_forged(response), forged
    assert 'class="standard"' in english.get("/").text


def test_a_cookie_that_is_not_ascii_is_refused_not_a_500(english: PortalClient) -> None:
    token = english.csrf_token()
    response = english.post(
        "/settings/mode",
        data={"_csrf_token": token, "mode": "elder"},
        headers={b"cookie": b"ymt_lang=en; ymt_csrf=" + ("é" * 80).encode()},
    )
    assert refused_as_forged(response)


def test_a_token_sent_as_a_file_is_refused_not_a_500(english: PortalClient) -> None:
    token = english.csrf_token()
    response = english.post(
        "/settings/mode",
        data={"mode": "elder"},
        files=[("_csrf_token", ("token.txt", token.encode(), "text/plain"))],
    )
    assert refused_as_forged(response)


def test_a_multipart_form_with_a_good_token_still_works(english: PortalClient) -> None:
    """The shape check reads the form first; the page must still see every field."""
    token = english.csrf_token()
    response = english.post(
        "/settings/mode",
        data={"_csrf_token": token, "mode": "elder", "next": "/settings"},
        files=[("attachment", ("a.txt", b"hello", "text/plain"))],
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/settings"
    assert 'class="elder"' in english.get("/").text
