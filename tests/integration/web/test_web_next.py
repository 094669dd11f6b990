"""Where the portal goes after logging in: back to the page that asked, never off-site."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.client import PortalClient
from tests.support.people import MOTHER

PHONE = "13700000001"


@pytest.fixture
def returning_patient(client: PortalClient, clock: Any) -> PortalClient:
    """An account that has logged in before and added a family member, now logged out."""
    client.log_in(PHONE)
    client.add_member(**MOTHER)
    client.submit("/logout")
    clock.advance(seconds=61)
    return client


def log_in_from(client: PortalClient, login_url: str) -> Any:
    page = client.get(login_url).text
    form = re.search(r'<form method="post" action="/login/code".*?</form>', page, re.S)
    assert form
    hidden = re.search(r'name="next" value="([^"]*)"', form.group(0)).group(1)
    client.submit("/login/code", {"phone": PHONE, "next": hidden})
    return client.submit("/login/verify", {"code": client.latest_code(PHONE)})


def test_a_page_that_needs_login_is_shown_after_logging_in(
    returning_patient: PortalClient,
) -> None:
    asked = returning_patient.get("/patients/new", follow_redirects=False)
    assert asked.headers["location"] == "/login?next=/patients/new"
    response = log_in_from(returning_patient, asked.headers["location"])
    assert response.status_code == 303
    assert response.headers["location"] == "/patients/new"


@pytest.mark.parametrize(
    "target", ["//evil.com", "https://evil.com/login", "/\\evil.com", "javascript:alert(1)"]
)
def test_a_login_link_cannot_send_the_patient_off_site(
    returning_patient: PortalClient, target: str
) -> None:
    response = log_in_from(returning_patient, f"/login?next={target}")
    assert response.headers["location"] == "/"


def test_a_first_login_starts_with_adding_someone_whatever_the_link_said(
    client: PortalClient,
) -> None:
    response = log_in_from(client, "/login?next=/settings")
    assert response.headers["location"] == "/patients/new?first=1"


def test_the_login_page_sends_a_logged_in_patient_on_at_once(client: PortalClient) -> None:
    client.log_in(PHONE)
    response = client.get("/login?next=/settings", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    response = client.get("/login?next=//evil.com", follow_redirects=False)
    assert response.headers["location"] == "/"
