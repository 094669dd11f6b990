"""Friendly error pages in both languages and modes; JSON for the API; never a stack trace."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import get, post

from tests.support.client import PortalClient

SECRET_DETAIL = "db password is hunter2 at /srv/portal/secret.py"

TITLES = {
    ("en", 404): "We could not find this page",
    ("zh_Hans", 404): "找不到这个页面",
    ("en", 405): "This action is not possible here",
    ("zh_Hans", 405): "这里不能进行这个操作",
    ("en", 403): "This page was open for too long",
    ("zh_Hans", 403): "页面打开时间太长了",
    ("en", 500): "Sorry, something went wrong on our side",
    ("zh_Hans", 500): "抱歉，系统出了点问题",
}
HOME_LINK = {"en": "Go to the home page", "zh_Hans": "回到首页"}
LANG = {"en": "en", "zh_Hans": "zh-Hans"}


@get("/test-only/boom", name="test-boom", sync_to_thread=False)
def boom() -> str:
    raise RuntimeError(SECRET_DETAIL)


@get("/api/test-only/boom", name="test-api-boom", sync_to_thread=False)
def api_boom() -> dict[str, str]:
    raise RuntimeError(SECRET_DETAIL)


@post("/api/test-only/thing", name="test-api-thing", sync_to_thread=False)
def api_thing() -> dict[str, str]:
    return {"ok": "yes"}


@pytest.fixture
def errors_client(client: PortalClient) -> PortalClient:
    """The test app plus routes that fail the way real code might."""
    for handler in (boom, api_boom, api_thing):
        client.app.register(handler)
    return client


def provoke(client: PortalClient, status: int) -> Any:
    if status == 404:
        return client.get("/no/such/page")
    if status == 405:
        return client.put("/settings")
    if status == 403:
        client.csrf_token()
        return client.post("/settings/mode", data={"mode": "elder"})  # no CSRF token
    return client.get("/test-only/boom")


def assert_no_internals(text: str) -> None:
    for leak in ["Traceback", "RuntimeError", "hunter2", 'File "', "/srv/", ".venv", "litestar."]:
        assert leak not in text, leak


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_error_pages_are_friendly_in_both_languages_and_modes(
    errors_client: PortalClient, locale: str, mode: str
) -> None:
    errors_client.cookies.set("ymt_lang", locale)
    errors_client.cookies.set("ymt_mode", mode)
    for status in (404, 405, 403, 500):
        response = provoke(errors_client, status)
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html"), status
        page = response.text
        assert f'<html lang="{LANG[locale]}" class="{mode}">' in page, status
        assert f"<title>{TITLES[(locale, status)]} · " in page, status
        assert re.search(r'<a class="button primary wide" href="/">\s*' + HOME_LINK[locale], page)
        assert 'role="alert"' in page, status
        assert_no_internals(page)


def test_a_missing_family_member_is_the_friendly_404_for_a_logged_in_patient(
    client: PortalClient,
) -> None:
    client.cookies.set("ymt_lang", "en")
    client.log_in("13700000001")
    response = client.get("/patients/0195a0b1-7c3e-7d2a-9f00-123456789abc/edit")
    assert response.status_code == 404
    assert "We could not find this page" in response.text
    assert "Log out" in response.text


def test_the_404_page_for_an_unknown_path_still_knows_who_is_logged_in(
    client: PortalClient,
) -> None:
    client.cookies.set("ymt_lang", "en")
    client.log_in("13700000001")
    client.cookies.delete("ymt_lang")  # the language now lives on the account and session
    page = client.get("/no/such/page").text
    assert "Log out" in page
    assert '<html lang="en"' in page


def test_a_malformed_id_in_an_address_is_the_404_in_the_accounts_language(
    client: PortalClient, clock: Any
) -> None:
    """Litestar answers a path whose id is no UUID before any route runs (so before the session
    is read): the account's language reaches that page through the cookie set at login."""
    client.cookies.set("ymt_lang", "en")
    client.log_in("13700000001")
    client.submit("/logout")
    client.cookies.clear()  # a fresh browser: the language lives on the account
    clock.advance(seconds=61)  # a new code may be asked for once a minute
    client.log_in("13700000001")
    for path in ("/patients/not-an-id/edit", "/patients/1%20OR%201=1/remove", "/ecard?patient=x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert '<html lang="en"' in response.text, path
        assert "We could not find this page" in response.text, path
        assert_no_internals(response.text)


@pytest.mark.parametrize(
    "status",
    [
        404,
        405,
        403,
        500,
    ],
)
def test_the_elder_mode_switch_works_from_every_error_page(
    errors_client: PortalClient, status: int
) -> None:
    page = provoke(errors_client, status).text
    form = re.search(r'<form method="post" action="/settings/mode".*?</form>', page, re.S)
    assert form
    token = re.search(r'name="_csrf_token" value="([^"]*)"', form.group(0)).group(1)
    response = errors_client.post(
        "/settings/mode",
        data={"_csrf_token": token, "mode": "elder", "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_an_error_inside_an_htmx_request_replaces_the_whole_page(
    errors_client: PortalClient,
) -> None:
    response = errors_client.get("/test-only/boom", headers={"hx-request": "true"})
    assert response.status_code == 500
    assert response.headers["hx-retarget"] == "body"
    assert_no_internals(response.text)


def test_an_htmx_request_that_needs_login_is_sent_to_the_login_page(
    client: PortalClient,
) -> None:
    response = client.get("/patients", headers={"hx-request": "true"}, follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login?next=/patients"


@pytest.mark.parametrize("address", ["http://[abc", "http://[::1/x", "//[/patients"])
def test_an_address_the_browser_sent_that_cannot_be_read_changes_nothing(
    client: PortalClient, address: str
) -> None:
    """Referer and HX-Current-URL are only hints (where to come back to): one that is not a URL
    at all reads as absent, never as a 500 (the form fuzzer found both)."""
    client.cookies.set("ymt_lang", "en")
    response = client.get(
        "/patients",
        headers={"hx-request": "true", "hx-current-url": address},
        follow_redirects=False,
    )
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login?next=/patients"
    response = client.submit("/login/code", {"phone": "123"}, headers={"referer": address})
    assert response.status_code == 400
    assert "11-digit mobile phone number" in response.text


# -- the API speaks JSON ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/test-only/boom", 500),
        ("PUT", "/api/test-only/thing", 405),
    ],
)
def test_api_errors_are_json_without_internals(
    errors_client: PortalClient, method: str, path: str, status: int
) -> None:
    errors_client.cookies.set("ymt_lang", "en")
    response = errors_client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert body["detail"]
    assert_no_internals(response.text)
