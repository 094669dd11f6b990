"""Driving Debian's Chromium with Playwright: logging in like a patient, and auditing a page
(axe-core, the elder-mode numbers, reflow at 320 px and 200 % text)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

HERE = Path(__file__).resolve().parent.parent / "browser"
MEASURE_JS = (HERE / "measure.js").read_text(encoding="utf-8")
REFLOW_JS = (HERE / "reflow.js").read_text(encoding="utf-8")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1080, "height": 1920}
_axe = Axe()


def set_preferences(
    page: Page, base_url: str, *, mode: str = "standard", locale: str = "zh_Hans"
) -> None:
    """Set display mode and language the way the header forms remember them (cookies)."""
    page.context.add_cookies(
        [
            {"name": "ymt_mode", "value": mode, "url": base_url},
            {"name": "ymt_lang", "value": locale, "url": base_url},
        ]
    )


def read_code(page: Page, phone: str) -> str:
    """The newest login code sent to ``phone``, from the development outbox."""
    page.goto("/dev/outbox")
    for item in page.locator(".outbox li").all():
        if phone in item.inner_text():
            match = re.search(r"\b(\d{6})\b", item.locator(".outbox-body").inner_text())
            assert match
            return match.group(1)
    raise AssertionError(f"no code for {phone} in the outbox")


def login(page: Page, phone: str) -> None:
    """Log in through the pages: phone, the code from the outbox, done."""
    page.goto("/login")
    page.fill("#f-phone", phone)
    page.locator("form[action='/login/code'] button[type=submit]").click()
    page.wait_for_url("**/login/verify")
    code = read_code(page, phone)
    page.goto("/login/verify")
    page.fill("#f-code", code)
    page.locator("form[action='/login/verify'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def settled(page: Page) -> None:
    """Wait until htmx has swapped and settled the page a boosted link or form brought.

    htmx pushes the new address before it swaps and settles 20 ms after; typing into a field
    in that window can land in a field about to be focused away or replaced."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def add_member(page: Page, member: dict[str, str]) -> None:
    """Add a family member through the form, as the account's owner would."""
    page.goto("/patients/new")
    page.locator(f"input[name=relationship][value={member['relationship']}]").check()
    page.fill("#f-name", member["name"])
    page.fill("#f-id_number", member["id_number"])
    page.fill("#f-phone", member["phone"])
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/patients")
    settled(page)


def axe_violations(page: Page) -> list[str]:
    results = _axe.run(page)
    found = []
    for violation in results.response.get("violations", []):
        targets = [" ".join(node.get("target", [])) for node in violation.get("nodes", [])][:5]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


def measure(page: Page, *, elder: bool) -> list[str]:
    failures: list[str] = page.evaluate(MEASURE_JS, {"elder": elder})
    return failures


def reflow(page: Page, scale: float = 2.0) -> list[str]:
    failures: list[str] = page.evaluate(REFLOW_JS, scale)
    return failures


def audit_page(page: Page, *, elder: bool | None = None, reflow_check: bool = True) -> list[str]:
    """Every problem on the page as it stands: axe violations, missed elder-mode numbers,
    and (at 320 px wide with text at 200 %) content that no longer fits. Empty means clean."""
    if elder is None:
        elder = "elder" in (page.get_attribute("html", "class") or "")
    where = page.url
    problems = [f"axe: {v}" for v in axe_violations(page)]
    problems += [f"{'elder' if elder else 'standard'}: {f}" for f in measure(page, elder=elder)]
    if reflow_check:
        size = page.viewport_size
        page.set_viewport_size({"width": 320, "height": 800})
        problems += [f"200% text at 320px: {f}" for f in reflow(page)]
        if size:
            page.set_viewport_size(size)
    return [f"{where}: {p}" for p in problems]


def html_lang(page: Page) -> Any:
    return page.get_attribute("html", "lang")
