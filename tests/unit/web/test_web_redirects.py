"""After a form, the portal only goes to paths on this site (no open redirects)."""

from __future__ import annotations

import pytest

from portal.web.redirects import safe_next


@pytest.mark.parametrize(
    "target", ["/", "/patients", "/patients/new?first=1", "/settings#language"]
)
def test_a_local_path_is_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.com",
        "//evil.com/patients",
        "https://evil.com",
        "http://evil.com/",
        "/\\evil.com",
        "\\\\evil.com",
        "/\\/evil.com",
        "evil.com",
        "patients",
        "javascript:alert(1)",
        "/patients\r\nSet-Cookie: x=1",
        "/patients\nLocation: https://evil.com",
    ],
)
def test_anything_else_goes_home(target: str | None) -> None:
    assert safe_next(target) == "/"


def test_the_fallback_can_be_chosen() -> None:
    assert safe_next("https://evil.com", "/patients") == "/patients"
