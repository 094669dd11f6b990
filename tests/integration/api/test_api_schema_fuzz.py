"""Every /api/v1 operation keeps the promises of the OpenAPI document, against a running server
(uvicorn in a child process, migrated and seeded) on SQLite and on PostgreSQL.

Schemathesis reads /schema/openapi.json and sends what it describes (and what it forbids): every
built-in check is on (the Python API's equivalent of ``--checks all``), in the examples, coverage
and fuzzing phases, with a valid bearer token for each operation. Zero failures means: no 500,
every answer's status and body are documented, everything the document forbids is refused, and
everything it allows is accepted.

One allowance, for the imports: a timetable or a bill the document allows can still be refused
(422) by the import's rules, which no schema can express (a session's doctor must exist; slots
must not overlap; a bill's patient must be known, a paid bill cannot change).
``refused_only_by_the_import_rules`` checks that such a refusal really is one of those rules and
never a field the document calls valid.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from harness.live import LIFTED_LIMITS
from harness.server import LiveServer, prepare_database, register_client
from portal.api.services import SCOPES
from portal.app import create_app
from portal.booking.controllers.api import REFUSED
from portal.payments.controllers.api import LINES_REFUSED
from portal.payments.controllers.api import REFUSED as BILLS_REFUSED
from tests.conftest import make_settings
from tests.support.live_servers import database_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live-api-fuzz")]

TIMETABLE = "/api/v1/timetable"
RULES = {
    TIMETABLE: REFUSED,
    "/api/v1/bills": BILLS_REFUSED,
    "/api/v1/bills/{number}/voids": LINES_REFUSED,
}
"""Operations whose own rules may refuse a body the document allows, with the title they
refuse it under."""
FUZZ_TOKEN = "ymt_fuzz_client_token_0123456789"
EXAMPLES = 150
# A fixed seed keeps CI repeatable; set PORTAL_TEST_FUZZ_SEED to explore other inputs.
SEED = int(os.environ.get("PORTAL_TEST_FUZZ_SEED", "20261124"))


def fuzz_config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "checks": {"enabled": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            },
            "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
            "auth": {
                "openapi": {
                    # One token for every operation (they share the scheme): a client that
                    # holds every scope, so no operation is only ever refused with a 403.
                    "apiClientToken": {"bearer": FUZZ_TOKEN},
                }
            },
            "operations": [
                {
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {
                            # Schemathesis's defaults less 3xx and 5xx (never right here), plus
                            # 422 for the import's own rules: see the module docstring and
                            # refused_only_by_the_import_rules, which keeps that 422 narrow.
                            "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                        }
                    },
                }
                for path in RULES
            ],
        }
    )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[LiveServer]:
    """A migrated and seeded database with a client that holds every scope, and a server on
    it."""
    tmp_path = tmp_path_factory.mktemp("api-fuzz")
    url = database_for(request.param, tmp_path, f"fuzz_{worker_id}")
    prepare_database(url, **LIFTED_LIMITS)
    register_client(url, "Fuzz client", FUZZ_TOKEN, list(SCOPES))
    server = LiveServer(url, extra_env=LIFTED_LIMITS, log_path=tmp_path / "server.log")
    with server:
        yield server


def refused_only_by_the_import_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid body may be refused only by the operation's own rules (an unknown doctor
    or patient, a paid bill), never for a field."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.path in RULES and response.status_code == 422:
        body = response.json()
        assert body["title"] == RULES[case.path], f"a valid body was refused: {body}"
    return None


def served_document() -> dict[str, Any]:
    """The OpenAPI document the portal serves, built in this process so that pytest can make one
    test per operation; the test checks that the live server serves the very same document."""
    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    return dict(app.openapi_schema.to_schema())


DOCUMENT = served_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config()).include(
    path_regex="^/api/v1/"
)


@schema.parametrize()
def test_every_api_operation_keeps_the_promises_of_its_schema(
    case: Any, live_api: LiveServer
) -> None:
    case.call_and_validate(
        base_url=live_api.url, additional_checks=[refused_only_by_the_import_rules]
    )


def test_the_live_server_serves_the_document_under_test(live_api: LiveServer) -> None:
    assert httpx.get(f"{live_api.url}/schema/openapi.json").json() == DOCUMENT
