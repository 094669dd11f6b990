"""The security baseline: CSRF on every unsafe route, headers and CSP everywhere, cookies,
no inline script or style in any page, and the development outbox hidden in production."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.routes import HTTPRoute

from tests.conftest import StillClock
from tests.integration.web.conftest import ClientFactory
from tests.support.client import PortalClient
from tests.support.people import MOTHER

PHONE = "13700000001"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SOME_ID = "0195a0b1-7c3e-7d2a-9f00-123456789abc"


def unsafe_routes(client: PortalClient) -> list[tuple[str, str]]:
    """Every (method, path) the app answers that changes something; the API has its own auth, and
    so has the payment sandbox's (every request signed by the merchant's key)."""
    found = []
    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/api/", "/dev/pay/v3/")):
            continue
        path = re.sub(r"\{[^}]+\}", SOME_ID, route.path)
        found.extend((method, path) for method in sorted(route.methods & UNSAFE))
    return found


# -- CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "patient"])
def test_every_unsafe_route_refuses_a_request_without_a_csrf_token(
    client: PortalClient, logged_in: bool
) -> None:
    client.cookies.set("ymt_lang", "en")
    if logged_in:
        client.log_in(PHONE)
    else:
        client.csrf_token()  # the browser has the cookie, but the form has no token
    routes = unsafe_routes(client)
    assert ("POST", "/login/code") in routes and ("POST", "/settings/mode") in routes
    for method, path in routes:
        response = client.request(method, path, data={"next": "/"}, follow_redirects=False)
        assert response.status_code == 403, (method, path)
        assert "This page was open for too long" in response.text, (method, path)
        assert "Traceback" not in response.text


def test_a_token_that_does_not_match_the_cookie_is_refused(client: PortalClient) -> None:
    client.csrf_token()
    forged = "0" * 64
    response = client.post("/settings/mode", data={"_csrf_token": forged, "mode": "elder"})
    assert response.status_code == 403
    response = client.post(
        "/settings/mode", data={"mode": "elder"}, headers={"x-csrftoken": forged}
    )
    assert response.status_code == 403
    assert 'class="standard"' in client.get("/").text


def test_htmx_sends_the_token_in_a_header_set_once_on_the_body(client: PortalClient) -> None:
    page = client.get("/").text
    token = re.search(r'<body[^>]*hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', page).group(1)
    response = client.post(
        "/settings/mode",
        data={"mode": "elder", "next": "/settings"},
        headers={"x-csrftoken": token, "hx-request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"


def test_every_form_on_a_page_carries_the_csrf_token(client: PortalClient) -> None:
    client.log_in(PHONE)
    client.add_member(**MOTHER)
    for path in ["/", "/settings", "/patients", "/patients/new"]:
        page = client.get(path).text
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", page, re.S):
            assert re.search(r'name="_csrf_token" value="[0-9a-f]{20,}"', form), (path, form)


# -- headers ----------------------------------------------------------------------------------


def csp_directives(response: Any) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def assert_protective_headers(response: Any) -> None:
    csp = csp_directives(response)
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/login",
        "/settings",
        "/static/css/site.css",
        "/static/js/site.js",
        "/static/icons/sprite.svg",
        "/healthz",
        "/patients",  # a redirect to the login page
    ],
)
def test_pages_files_and_redirects_carry_the_security_headers(
    client: PortalClient, path: str
) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (200, 303)
    assert_protective_headers(response)


def test_an_error_from_a_page_carries_the_security_headers(client: PortalClient) -> None:
    client.log_in(PHONE)
    response = client.get(f"/patients/{SOME_ID}/edit")
    assert response.status_code == 404
    assert_protective_headers(response)


def test_a_missing_static_file_is_a_friendly_404_with_the_security_headers(
    client: PortalClient,
) -> None:
    response = client.get("/static/css/no-such-file.css")
    assert response.status_code == 404
    assert_protective_headers(response)
    assert "Traceback" not in response.text


BUG_HEADERS = (
    "bug: portal/app.py adds the security headers as route middleware, so responses made "
    "before a route runs (unknown path 404, 405, CSRF 403) have no CSP, X-Frame-Options "
    "or nosniff"
)


def test_the_404_for_an_unknown_path_carries_the_security_headers(client: PortalClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert_protective_headers(response)


def test_the_405_page_carries_the_security_headers(client: PortalClient) -> None:
    response = client.put("/")
    assert response.status_code == 405
    assert_protective_headers(response)


def test_the_csrf_failure_page_carries_the_security_headers(client: PortalClient) -> None:
    client.csrf_token()
    response = client.post("/settings/mode", data={"mode": "elder"})
    assert response.status_code == 403
    assert_protective_headers(response)


def test_production_adds_strict_transport_security(app_client: ClientFactory) -> None:
    client = app_client(environment="production", base_url="https://testserver.local")
    assert "max-age=31536000" in client.get("/").headers["strict-transport-security"]


def test_development_does_not_pin_https(client: PortalClient) -> None:
    assert "strict-transport-security" not in client.get("/").headers


# -- cookies ----------------------------------------------------------------------------------


def cookie_header(response: Any, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set")


def attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_the_session_cookie_is_httponly_and_samesite_lax(client: PortalClient) -> None:
    client.csrf_token()
    response = client.submit("/login/code", {"phone": PHONE})
    header = cookie_header(response, "ymt_session")
    assert "httponly" in attributes(header)
    assert "samesite=lax" in header.lower()
    assert "secure" not in attributes(header)  # plain http in development


def test_a_visitor_who_only_looks_gets_no_session(client: PortalClient) -> None:
    response = client.get("/")
    assert not any(h.startswith("ymt_session=") for h in response.headers.get_list("set-cookie"))


def test_production_cookies_are_secure(app_client: ClientFactory) -> None:
    client = app_client(environment="production", base_url="https://testserver.local")
    first = client.get("/")
    assert "secure" in attributes(cookie_header(first, "ymt_csrf"))
    response = client.submit("/login/code", {"phone": PHONE})
    assert response.status_code == 303
    session = cookie_header(response, "ymt_session")
    assert {"secure", "httponly"} <= attributes(session)
    assert "samesite=lax" in session.lower()
    mode = client.submit("/settings/mode", {"mode": "elder"})
    assert {"secure", "httponly"} <= attributes(cookie_header(mode, "ymt_mode"))
    # The whole login works in production, with the code from the SMS gateway.
    code = client.app.state.sms_sender.latest_code(PHONE)
    verified = client.submit("/login/verify", {"code": code})
    assert verified.status_code == 303
    assert {"secure", "httponly"} <= attributes(cookie_header(verified, "ymt_session"))


# -- no inline script or style ----------------------------------------------------------------


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would block or what smuggles script into markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower() for name, _ in attrs}
        values = dict(attrs)
        for name in names:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=…> inline event handler")
        if "style" in names:
            self.problems.append(f"<{tag} style=…> inline style")
        for name in ("href", "src", "action", "formaction"):
            if (values.get(name) or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "script":
            if not values.get("src"):
                self.problems.append("<script> without src")
            self._in = "script"
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script" and data.strip():
            self.problems.append("<script> with an inline body")


def inspect_page(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder


def crawl(client: PortalClient, start: list[str], limit: int = 60) -> dict[str, str]:
    """Every same-site HTML page reachable by links from ``start``."""
    pages: dict[str, str] = {}
    queue = list(start)
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in pages:
            continue
        response = client.get(path)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        pages[path] = response.text
        for href in inspect_page(response.text).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(("/static/", "/schema")):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in pages:
                queue.append(target)
    return pages


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_no_page_has_inline_script_event_handlers_or_inline_style(
    client: PortalClient, mode: str, locale: str
) -> None:
    client.cookies.set("ymt_mode", mode)
    client.cookies.set("ymt_lang", locale)
    visitor_pages = crawl(client, ["/", "/login", "/dev/outbox", "/no/such/page"])
    visitor_pages["403"] = client.post("/settings/mode", data={"mode": mode}).text
    visitor_pages["405"] = client.put("/").text
    visitor_pages["400 login"] = client.submit("/login/code", {"phone": "123"}).text
    client.submit("/login/code", {"phone": PHONE})
    visitor_pages["/login/verify"] = client.get("/login/verify").text
    visitor_pages["400 code"] = client.submit("/login/verify", {"code": "1"}).text
    client.submit("/login/verify", {"code": client.latest_code(PHONE)})
    client.add_member(**MOTHER)
    patient_pages = crawl(client, ["/", "/patients"])
    patient_pages["400 member"] = client.add_member(**{**MOTHER, "id_number": "1"}).text
    pages = {**visitor_pages, **patient_pages}
    assert len(patient_pages) >= 6, sorted(patient_pages)  # home, settings, list, new, edit, remove
    found = {path: inspect_page(html).problems for path, html in pages.items()}
    assert {path: problems for path, problems in found.items() if problems} == {}


def test_the_openapi_document_is_served(client: PortalClient) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Yimatong API"


def test_the_api_documentation_is_plain_json_that_needs_no_script_from_a_cdn(
    client: PortalClient,
) -> None:
    response = client.get("/schema")
    assert response.status_code == 200
    assert "json" in response.headers["content-type"]
    assert set(response.json()["paths"]) >= {"/api/v1/scans"}
    assert "<script" not in response.text and "<html" not in response.text


def test_the_finder_notices_what_it_should() -> None:
    bad = (
        '<div style="color:red"><a href="javascript:alert(1)" onclick="x()">x</a>'
        '<script>alert(1)</script><button hx-on:click="x">b</button><style>p{}</style></div>'
    )
    assert len(inspect_page(bad).problems) == 7
    good = '<script src="/static/js/site.js" defer></script><a href="/x">x</a>'
    assert inspect_page(good).problems == []


# -- rate limits ------------------------------------------------------------------------------


def outbox_count(client: PortalClient) -> int:
    return client.get("/dev/outbox").text.count('<li class="panel">')


def test_code_requests_are_limited_per_network_address(
    app_client: ClientFactory, limiter_clock: StillClock
) -> None:
    client = app_client(requests_per_address_per_hour=2)
    client.cookies.set("ymt_lang", "en")
    assert client.submit("/login/code", {"phone": "13700000001"}).status_code == 303
    assert client.submit("/login/code", {"phone": "13700000002"}).status_code == 303
    refused = client.submit("/login/code", {"phone": "13700000003"})
    assert refused.status_code == 400
    assert "Too many codes were asked for from this network" in refused.text
    assert 'value="13700000003"' in refused.text
    assert outbox_count(client) == 2  # no text message was sent for the third
    limiter_clock.at += 3600
    assert client.submit("/login/code", {"phone": "13700000003"}).status_code == 303


def test_logins_are_limited_per_network_address(
    app_client: ClientFactory, limiter_clock: StillClock
) -> None:
    client = app_client(logins_per_address_per_minute=2)
    client.cookies.set("ymt_lang", "en")
    client.submit("/login/code", {"phone": PHONE})
    right = client.latest_code(PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(2):
        assert "That code is not right" in client.submit("/login/verify", {"code": wrong}).text
    refused = client.submit("/login/verify", {"code": right})
    assert refused.status_code == 400
    assert "Too many tries from this network" in refused.text
    limiter_clock.at += 60
    assert client.submit("/login/verify", {"code": right}).status_code == 303


# -- development only -------------------------------------------------------------------------


def test_the_outbox_is_404_in_production(app_client: ClientFactory) -> None:
    client = app_client(environment="production", base_url="https://testserver.local")
    client.submit("/login/code", {"phone": PHONE})
    response = client.get("/dev/outbox")
    assert response.status_code == 404
    assert PHONE not in response.text
    assert "<html" in response.text
    # The payment sandbox, too: its pages, its chaos controls and its API.
    assert client.get("/dev/pay").status_code == 404
    assert client.get("/dev/pay/checkout/wx0123").status_code == 404
    assert client.post("/dev/pay/v3/pay/transactions/h5", content=b"{}").status_code == 404


def test_the_outbox_shows_codes_in_development(app_client: ClientFactory) -> None:
    client = app_client(environment="development")
    client.submit("/login/code", {"phone": PHONE})
    assert client.get("/dev/outbox").status_code == 200
    assert re.fullmatch(r"\d{6}", client.latest_code(PHONE))
