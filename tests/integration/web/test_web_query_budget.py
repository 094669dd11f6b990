"""A query budget per page: the statements each of a patient's most used pages sends to the
database, counted with a SQLAlchemy event on the demo data, and held to a number. A page that
starts asking more (a lazy load in a loop, a look-up per row) fails here before it is slow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from portal.app import seed_demo
from tests.support import aio
from tests.support.client import PortalClient

DEMO_PHONE = "13800138000"
BOOKKEEPING = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)", re.I)

# Statements per page (transaction bookkeeping not counted).
BUDGET = {
    "/": 2,  # the family (with the chosen patient) and the card
    "/ecard": 2,
    "/queue": 2,  # the family's patients, their tickets today
    "/appointments": 5,
    "session": 3,  # a booking session page: the session, its slots, the family
}


class Statements:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not BOOKKEEPING.match(statement):
            self.sent.append(" ".join(statement.split())[:160])

    def during(self, client: PortalClient, path: str, **kwargs: Any) -> tuple[Any, list[str]]:
        self.sent.clear()
        response = client.get(path, **kwargs)
        return response, list(self.sent)


@pytest.fixture
def demo(client: PortalClient, clock: Any) -> Iterator[tuple[PortalClient, Statements]]:
    """The demo hospital, the demo daughter logged in, statements counted from here on."""
    aio.run(seed_demo(client.app.state.settings, clock))
    client.log_in(DEMO_PHONE)
    statements = Statements()
    engine = client.app.state.db_sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", statements)
    try:
        yield client, statements
    finally:
        event.remove(engine, "before_cursor_execute", statements)


def _session_page(client: PortalClient) -> str:
    booking = client.get("/booking").text
    department = re.search(r'href="(/booking/departments/[0-9a-f-]{36})"', booking)
    assert department
    session = re.search(r'href="(/booking/sessions/[0-9a-f-]{36})"', client.get(department[1]).text)
    assert session
    return session[1]


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_each_page_stays_within_its_query_budget(
    demo: tuple[PortalClient, Statements], mode: str
) -> None:
    client, statements = demo
    client.submit("/settings/mode", {"mode": mode})
    pages = {
        **{path: path for path in BUDGET if path != "session"},
        "session": _session_page(client),
    }
    over = {}
    for name, path in pages.items():
        response, sent = statements.during(client, path)
        assert response.status_code == 200, path
        if len(sent) > BUDGET[name]:
            over[name] = sent
    assert not over, "\n".join(
        f"{k}: {len(v)} statements\n  " + "\n  ".join(v) for k, v in over.items()
    )
    # Seen again with nothing changed, each page shows what it kept (one process, no Redis).
    again = {name: statements.during(client, path)[1] for name, path in pages.items()}
    assert not any(again.values()), again


def test_an_unchanged_queue_status_costs_no_query(demo: tuple[PortalClient, Statements]) -> None:
    client, statements = demo
    first = client.get("/queue/status", headers={"HX-Request": "true"})
    assert first.status_code == 200
    response, sent = statements.during(
        client,
        "/queue/status",
        headers={"HX-Request": "true", "If-None-Match": first.headers["etag"]},
    )
    assert response.status_code == 304
    assert sent == []
