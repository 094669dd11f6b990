"""Elder mode and language: plain forms, remembered in cookies and on the account."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests.support.client import PortalClient
from tests.support.people import SELF, id_number

PHONE = "13700000001"
YEAR = 365 * 86400


def set_cookie(response: Any, name: str) -> str:
    """The Set-Cookie header a response sends for one cookie."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)" class="([^"]+)"', page)
    assert match, page[:200]
    return match.group(1)


def mode_of(page: str) -> str:
    match = re.search(r'<html lang="[^"]+" class="([^"]+)"', page)
    assert match
    return match.group(1)


def switch(
    client: PortalClient, *, mode: str | None = None, locale: str | None = None, next_: str = "/"
) -> Any:
    if mode is not None:
        return client.submit("/settings/mode", {"mode": mode, "next": next_})
    return client.submit("/settings/language", {"locale": locale, "next": next_})


def test_a_new_visitor_sees_chinese_in_standard_mode(client: PortalClient) -> None:
    page = client.get("/").text
    assert html_lang(page) == "zh-Hans"
    assert mode_of(page) == "standard"
    assert "长辈模式" in page
    assert ">English</button>" in page


def test_the_switches_in_the_header_are_plain_forms(client: PortalClient) -> None:
    page = client.get("/settings").text
    for action in ["/settings/mode", "/settings/language"]:
        form = re.search(rf'<form method="post" action="{action}"[^>]*>(.*?)</form>', page, re.S)
        assert form, action
        assert 'name="_csrf_token"' in form.group(1)
        assert '<input type="hidden" name="next" value="/settings">' in form.group(1)
        assert 'type="submit"' in form.group(1)


def test_turning_on_elder_mode_goes_back_and_is_remembered_for_a_year(
    client: PortalClient,
) -> None:
    response = switch(client, mode="elder", next_="/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    cookie = set_cookie(response, "ymt_mode")
    assert cookie.startswith("ymt_mode=elder;")
    assert f"Max-Age={YEAR}" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    page = client.get("/").text
    assert mode_of(page) == "elder"
    assert 'class="tiles big"' in page
    assert "退出长辈模式" in page or "Leave elder mode" in page


def test_turning_elder_mode_off_again(client: PortalClient) -> None:
    switch(client, mode="elder")
    response = switch(client, mode="standard")
    assert set_cookie(response, "ymt_mode").startswith("ymt_mode=standard;")
    assert mode_of(client.get("/").text) == "standard"


def test_switching_to_english_goes_back_and_is_remembered_for_a_year(
    client: PortalClient,
) -> None:
    response = switch(client, locale="en", next_="/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    cookie = set_cookie(response, "ymt_lang")
    assert cookie.startswith("ymt_lang=en;")
    assert f"Max-Age={YEAR}" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    page = client.get("/settings").text
    assert html_lang(page) == "en"
    assert "Display mode" in page
    assert '<button type="submit" class="button toggle" lang="zh-Hans">中文</button>' in page


def test_switching_back_to_chinese(client: PortalClient) -> None:
    switch(client, locale="en")
    switch(client, locale="zh_Hans")
    assert html_lang(client.get("/").text) == "zh-Hans"


@pytest.mark.parametrize(
    ("field", "value", "cookie"),
    [("mode", "huge", "ymt_mode=standard;"), ("locale", "fr", "ymt_lang=zh_Hans;")],
)
def test_unknown_choices_fall_back_to_the_defaults(
    client: PortalClient, field: str, value: str, cookie: str
) -> None:
    response = switch(client, **{field: value})  # type: ignore[arg-type]
    assert response.status_code == 303
    assert set_cookie(response, cookie.split("=")[0]).startswith(cookie)


def test_a_tampered_cookie_is_ignored(client: PortalClient) -> None:
    client.cookies.set("ymt_mode", "<script>")
    client.cookies.set("ymt_lang", '"><script>')
    page = client.get("/").text
    assert html_lang(page) == "zh-Hans"
    assert mode_of(page) == "standard"


OFF_SITE = [
    "//evil.com",
    "https://evil.com",
    "/\\evil",
    "\\\\evil.com",
    "http:evil.com",
    "evil.com",
]


@pytest.mark.parametrize(
    "switch_to", [{"mode": "elder"}, {"locale": "en"}], ids=["mode", "language"]
)
def test_next_cannot_lead_off_site(client: PortalClient, switch_to: dict[str, str]) -> None:
    for target in OFF_SITE:
        response = switch(client, next_=target, **switch_to)
        assert response.status_code == 303
        assert response.headers["location"] == "/", target


def test_next_keeps_a_query_string(client: PortalClient) -> None:
    response = switch(client, mode="elder", next_="/patients/new?first=1")
    assert response.headers["location"] == "/patients/new?first=1"


@pytest.mark.parametrize("target", ["/\t/evil.com", "/\r/evil.com", "/%09/evil.com"])
def test_a_logged_in_patient_is_not_sent_off_site_by_a_link_to_the_login_page(
    client: PortalClient, target: str
) -> None:
    client.log_in(PHONE)
    response = client.get("/login", params={"next": target}, follow_redirects=False)
    if "%" not in target:
        # A raw control character in the address is refused before any handler sees it.
        assert response.status_code == 400
        assert "location" not in response.headers
        return
    assert response.status_code == 303
    location = response.headers["location"]
    # Browsers drop raw tabs and newlines from a URL: none may be left to hide a second slash.
    assert not any(ch in location for ch in "\t\r\n")
    assert not location.startswith("//")
    assert location.startswith("/")


# -- remembered on the account ----------------------------------------------------------------


def test_preferences_come_back_after_logging_in_on_a_fresh_browser(
    client: PortalClient, clock: Any
) -> None:
    client.log_in(PHONE)
    switch(client, mode="elder")
    switch(client, locale="en")
    client.submit("/logout")
    client.cookies.clear()
    page = client.get("/").text
    assert (html_lang(page), mode_of(page)) == ("zh-Hans", "standard")
    clock.advance(seconds=61)  # a new code may be asked for once a minute
    client.log_in(PHONE)
    page = client.get("/").text
    assert (html_lang(page), mode_of(page)) == ("en", "elder")


def test_the_accounts_preferences_win_over_another_browsers_cookies(
    client: PortalClient, clock: Any
) -> None:
    client.log_in(PHONE)
    switch(client, mode="elder")
    switch(client, locale="en")
    client.submit("/logout")
    client.cookies.clear()
    client.cookies.set("ymt_mode", "standard")
    client.cookies.set("ymt_lang", "zh_Hans")
    clock.advance(seconds=61)
    client.log_in(PHONE)
    page = client.get("/").text
    assert (html_lang(page), mode_of(page)) == ("en", "elder")


def test_choices_made_before_logging_in_carry_over_to_a_new_account(
    client: PortalClient,
) -> None:
    switch(client, mode="elder")
    switch(client, locale="en")
    client.log_in(PHONE)
    page = client.get("/patients/new").text
    assert (html_lang(page), mode_of(page)) == ("en", "elder")


def test_display_choices_stay_after_logging_out(client: PortalClient) -> None:
    client.log_in(PHONE)
    switch(client, mode="elder")
    switch(client, locale="en")
    client.submit("/logout")
    page = client.get("/").text
    assert (html_lang(page), mode_of(page)) == ("en", "elder")
    assert "Log in" in page


def test_a_switch_while_logged_in_is_saved_on_the_account(client: PortalClient) -> None:
    from sqlalchemy import select

    from portal.accounts.models import Account

    client.log_in(PHONE)
    client.add_member(**{**SELF, "id_number": id_number(date(1980, 1, 1), 11)})
    switch(client, mode="elder")
    switch(client, locale="en")

    async def read(session: Any) -> tuple[str | None, str | None]:
        account = await session.scalar(select(Account).where(Account.phone == PHONE))
        return account.display_mode, account.locale

    assert client.db(read) == ("elder", "en")
