"""API clients with scopes: every import is a registered client's, and holds only what its scopes
allow. The demo seed registers the hospital's system and a scanner (development only), and
``serve`` will not listen beyond this machine while their published tokens still work."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.api.seed import DEMO_HIS_TOKEN, DEMO_SCANNER_TOKEN
from portal.api.services import SCOPES, checked_scopes, list_clients
from portal.booking.models import Schedule
from portal.core.errors import RuleError
from portal.settings import Settings, get_settings
from tests.integration.booking.test_import_api import invoke
from tests.support.booking import import_timetable, session, standard_timetable
from tests.support.cards import make_api_client
from tests.support.client import PortalClient

TIMETABLE = standard_timetable(AM=session("AM", "D1", "2026-11-25"))


def schedule_count(client: PortalClient) -> int:
    async def work(db: Any) -> int:
        return int(await db.scalar(select(func.count()).select_from(Schedule)))

    return client.db(work)


def problem_of(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    return " ".join(e["problem"] for e in body["errors"] if e["field"] == "Authorization")


def test_a_client_with_the_scope_imports_the_timetable(client: PortalClient) -> None:
    token = make_api_client(client, "Registration HIS", ["timetable:write"])
    assert import_timetable(client, TIMETABLE, token).status_code == 200
    assert schedule_count(client) == 1


@pytest.mark.parametrize(
    "scopes", [["scan:*"], ["scan:registration"], ["bills:write", "fhir:write"]]
)
def test_a_client_without_the_scope_is_403_naming_it_and_nothing_is_imported(
    client: PortalClient, scopes: list[str]
) -> None:
    token = make_api_client(client, "Lab scanner", scopes)
    problem = problem_of(import_timetable(client, TIMETABLE, token), 403)
    assert "timetable:write" in problem
    assert schedule_count(client) == 0


def test_an_unknown_token_is_401_and_nothing_is_imported(client: PortalClient) -> None:
    problem = problem_of(import_timetable(client, TIMETABLE, "ymt_" + "x" * 43), 401)
    assert "active API client" in problem
    response = import_timetable(client, TIMETABLE, "ymt_" + "x" * 43)
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'
    assert schedule_count(client) == 0


def test_a_retired_client_is_refused_at_once(
    client: PortalClient, settings: Settings, environment: Any
) -> None:
    token = make_api_client(client, "Old HIS", ["timetable:write"])
    assert import_timetable(client, TIMETABLE, token).status_code == 200
    environment.setenv("PORTAL_DATABASE_URL", settings.db.url)
    get_settings.cache_clear()
    result = invoke(cli(), ["retire-api-client", "Old HIS"])
    assert result.exit_code == 0, result.output
    assert schedule_count(client) == 1
    changed = standard_timetable(PM=session("PM", "D1", "2026-11-25", period="afternoon"))
    assert problem_of(import_timetable(client, changed, token), 401)
    assert schedule_count(client) == 1


def test_the_standing_test_client_is_what_the_other_tests_import_with(
    client: PortalClient,
) -> None:
    assert import_timetable(client, TIMETABLE).status_code == 200


# -- scopes are checked when a client is registered ----------------------------------------------


def test_scopes_are_kept_in_the_listed_order_without_repeats() -> None:
    assert checked_scopes(["scan:lab", "timetable:write", "scan:lab", " bills:write "]) == [
        "timetable:write",
        "bills:write",
        "scan:lab",
    ]
    assert {"timetable:write", "bills:write", "fhir:write", "scan:*", "scan:pharmacy"} <= set(
        SCOPES
    )


@pytest.mark.parametrize(
    "scopes", [["import"], ["timetable:wrte"], ["scan:canteen"], ["scan:"], [], ["  "]]
)
def test_a_scope_nobody_checks_is_refused_rather_than_stored(scopes: list[str]) -> None:
    with pytest.raises(RuleError):
        checked_scopes(scopes)


def cli() -> Any:
    from portal.__main__ import cli as command

    return command


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The command line reads its settings from the environment; put it back afterwards."""
    for name in ("PORTAL_DATABASE_URL", "PORTAL_ENV", "PORTAL_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    get_settings.cache_clear()


def test_the_command_line_registers_lists_and_retires_clients(
    client: PortalClient, settings: Settings, environment: Any
) -> None:
    environment.setenv("PORTAL_DATABASE_URL", settings.db.url)
    get_settings.cache_clear()
    made = invoke(cli(), ["create-api-client", "Pharmacy HIS", "--scope", "bills:write"])
    assert made.exit_code == 0, made.output
    token = made.output.strip()
    assert token.startswith("ymt_") and len(token) > 40
    assert problem_of(import_timetable(client, TIMETABLE, token), 403)

    typo = invoke(cli(), ["create-api-client", "Typo HIS", "--scope", "timetable:wrte"])
    assert typo.exit_code != 0 and "unknown scope timetable:wrte" in typo.output
    again = invoke(cli(), ["create-api-client", "Pharmacy HIS", "--scope", "fhir:write"])
    assert again.exit_code != 0 and "already a client named Pharmacy HIS" in again.output

    listed = invoke(cli(), ["list-api-clients"])
    assert "Pharmacy HIS\tactive\tbills:write" in listed.output
    assert token not in listed.output
    assert invoke(cli(), ["retire-api-client", "Pharmacy HIS"]).exit_code == 0
    assert "Pharmacy HIS\tretired" in invoke(cli(), ["list-api-clients"]).output
    missing = invoke(cli(), ["retire-api-client", "Nobody"])
    assert missing.exit_code != 0 and "no client named Nobody" in missing.output

    async def names(db: Any) -> list[str]:
        return [c.name for c in await list_clients(db)]

    assert "Typo HIS" not in client.db(names)


def test_production_never_takes_a_chosen_token(
    client: PortalClient, settings: Settings, environment: Any
) -> None:
    environment.setenv("PORTAL_DATABASE_URL", settings.db.url)
    environment.setenv("PORTAL_ENV", "production")
    environment.setenv("PORTAL_SECRET_KEY", "a-real-secret-0123456789-abcdefghijklmnop")
    get_settings.cache_clear()
    result = invoke(
        cli(),
        ["create-api-client", "Chosen", "--scope", "scan:*", "--token", "ymt_chosen_0123456789"],
    )
    assert result.exit_code != 0 and "production gets a new one" in result.output


# -- the demo's clients ---------------------------------------------------------------------------


def test_the_demo_seed_registers_the_his_and_a_scanner(seeded: PortalClient) -> None:
    async def clients(db: Any) -> dict[str, tuple[str, ...]]:
        return {c.name: c.scopes for c in await list_clients(db) if c.active}

    registered = seeded.db(clients)
    assert registered["Demo HIS"] == ("timetable:write", "bills:write", "fhir:write")
    assert registered["Demo scanner"] == ("scan:*",)
    assert import_timetable(seeded, TIMETABLE, DEMO_HIS_TOKEN).status_code == 200
    assert problem_of(import_timetable(seeded, TIMETABLE, DEMO_SCANNER_TOKEN), 403)


def test_serve_refuses_to_listen_beyond_this_machine_while_demo_tokens_work(
    seeded: PortalClient, settings: Settings, environment: Any
) -> None:
    environment.setenv("PORTAL_DATABASE_URL", settings.db.url)
    environment.setenv("PORTAL_SECRET_KEY", "a-real-secret-0123456789-abcdefghijklmnop")
    get_settings.cache_clear()
    refused = invoke(cli(), ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2
    assert "PORTAL_PAY_GATEWAY is the development sandbox" in refused.output
    environment.setenv("PORTAL_PAY_GATEWAY", "wechatpay")
    get_settings.cache_clear()
    refused = invoke(cli(), ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2
    assert "Demo HIS, Demo scanner hold the demo's published tokens" in refused.output

    from portal.__main__ import _published_clients

    assert in_thread(_published_clients) == ["Demo HIS", "Demo scanner"]
    for name in ("Demo HIS", "Demo scanner"):
        assert invoke(cli(), ["retire-api-client", name]).exit_code == 0
    assert in_thread(_published_clients) == []


def in_thread(work: Any) -> Any:
    """Run what starts an event loop of its own away from any loop this thread may run."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(work()))
    thread.start()
    thread.join()
    return outcome[0]


@pytest.fixture
def seeded(client: PortalClient, settings: Settings, clock: Any) -> PortalClient:
    from portal.app import seed_demo

    assert client.blocking_portal is not None
    assert client.blocking_portal.call(seed_demo, settings, clock) is True
    return client
