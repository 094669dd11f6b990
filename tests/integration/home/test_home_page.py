"""The home page: only services that exist, in two shapes; elder mode offered once to the 60+."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests.support.client import PortalClient
from tests.support.people import MOTHER, SELF, id_number

PHONE = "13700000001"
OFFER = "Would you like larger text?"


def english(client: PortalClient) -> None:
    client.cookies.set("ymt_lang", "en")


def log_in_with_self_born(client: PortalClient, born: date) -> None:
    english(client)
    client.log_in(PHONE)
    response = client.add_member(**{**SELF, "id_number": id_number(born, 31)})
    assert response.status_code == 303, response.text


def tile_links(page: str) -> list[str]:
    return re.findall(r'<a class="tile" href="([^"]+)"', page)


# -- the elder-mode offer ---------------------------------------------------------------------


def test_a_patient_of_68_is_offered_elder_mode_plainly(client: PortalClient) -> None:
    log_in_with_self_born(client, date(1958, 1, 20))
    page = client.get("/").text
    assert OFFER in page
    offer = page[page.index(OFFER) :]
    assert 'action="/settings/mode"' in offer
    assert '<input type="hidden" name="mode" value="elder">' in offer
    assert 'action="/settings/elder-offer"' in offer
    assert "No, thanks" in offer
    assert 'role="dialog"' not in page and "<dialog" not in page  # not a pop-up


def test_the_offer_starts_on_the_60th_birthday(client: PortalClient, clock: Any) -> None:
    log_in_with_self_born(client, date(1966, 11, 25))  # 60 tomorrow
    assert OFFER not in client.get("/").text
    clock.advance(days=1)
    assert OFFER in client.get("/").text


def test_no_offer_for_a_younger_account_holder_even_with_an_elderly_parent(
    client: PortalClient,
) -> None:
    english(client)
    client.log_in(PHONE)
    client.add_member(**MOTHER)  # 82, but a parent, not the account holder
    assert OFFER not in client.get("/").text
    client.add_member(**{**SELF, "id_number": id_number(date(1976, 5, 12), 42)})
    assert OFFER not in client.get("/").text


def test_no_offer_before_logging_in(client: PortalClient) -> None:
    english(client)
    assert OFFER not in client.get("/").text


def test_no_thanks_hides_the_offer_for_good(client: PortalClient, clock: Any) -> None:
    log_in_with_self_born(client, date(1958, 1, 20))
    response = client.submit("/settings/elder-offer")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    page = client.get("/").text
    assert OFFER not in page
    assert "Elder mode (large text)" in page  # the switch in the header stays
    client.submit("/logout")
    clock.advance(seconds=61)
    client.log_in(PHONE)
    assert OFFER not in client.get("/").text


def test_turning_elder_mode_on_answers_the_offer(client: PortalClient) -> None:
    log_in_with_self_born(client, date(1958, 1, 20))
    response = client.submit("/settings/mode", {"mode": "elder", "next": "/"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert OFFER not in client.get("/").text
    client.submit("/settings/mode", {"mode": "standard", "next": "/"})
    page = client.get("/").text
    assert 'class="standard"' in page
    assert OFFER not in page


def test_no_offer_to_someone_already_in_elder_mode(client: PortalClient) -> None:
    english(client)
    client.cookies.set("ymt_mode", "elder")
    client.log_in(PHONE)
    client.add_member(**{**SELF, "id_number": id_number(date(1950, 1, 1), 31)})
    assert OFFER not in client.get("/").text


def test_declining_needs_a_logged_in_patient(client: PortalClient) -> None:
    response = client.submit("/settings/elder-offer")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# -- tiles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "patient"])
def test_every_tile_leads_to_a_page_that_exists(
    client: PortalClient, mode: str, logged_in: bool
) -> None:
    if logged_in:
        client.log_in(PHONE)
        client.add_member(**MOTHER)
    client.cookies.set("ymt_mode", mode)
    links = tile_links(client.get("/").text)
    assert "/patients" in links and "/settings" in links
    for href in links:
        response = client.get(href, follow_redirects=False)
        if response.status_code == 303:
            assert not logged_in, href
            assert response.headers["location"].startswith("/login?next="), href
        else:
            assert response.status_code == 200, href


def test_the_standard_home_shows_only_groups_with_services(client: PortalClient) -> None:
    english(client)
    page = client.get("/").text
    sections = re.findall(r'<section class="tile-group".*?</section>', page, re.S)
    assert sections
    for section in sections:
        assert tile_links(section), section
    assert "Family members" in page and "Settings" in page


def test_the_elder_home_has_big_tiles_and_a_way_to_log_in(client: PortalClient) -> None:
    english(client)
    client.cookies.set("ymt_mode", "elder")
    page = client.get("/").text
    assert '<ul class="tiles big" role="list">' in page
    assert 'href="/login"' in page


def test_the_welcome_panel_is_only_for_visitors(client: PortalClient) -> None:
    english(client)
    assert "Log in with phone number" in client.get("/").text
    client.log_in(PHONE)
    page = client.get("/").text
    assert "Log in with phone number" not in page
    assert "Log out" in page
