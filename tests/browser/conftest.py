"""Browser fixtures: one live server with the demo seed per test worker, one Chromium, and a
fresh phone-sized page per test. In CI (PORTAL_REQUIRE_BROWSER=1) a missing Chromium fails."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from harness.server import LiveServer, prepare_database
from tests.support.browser import CHROMIUM_ARGS, PHONE

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM} (make browser-deps installs Debian's chromium)"
    if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, chromium_path: str
) -> Iterator[LiveServer]:
    """The app as `make run` serves it (migrated, demo data), on a free port."""
    directory = tmp_path_factory.mktemp("live")
    url = f"sqlite+aiosqlite:///{directory / 'portal.db'}"
    prepare_database(url)
    # Every browser test logs in from 127.0.0.1: lift the per-address limits (their own tests pin them).
    server = LiveServer(
        url,
        log_path=directory / "server.log",
        extra_env={
            "PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR": "100000",
            "PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE": "100000",
        },
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def new_phone() -> str:
    """A phone number no other test uses (each test is a new patient)."""
    return "137" + f"{random.randrange(10**8):08d}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go, to be looked at (test-artifacts/ is ignored by git)."""
    path = Path(__file__).resolve().parents[2] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
