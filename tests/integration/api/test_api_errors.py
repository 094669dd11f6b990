"""Every error of the JSON API has one shape (``ApiError``): status, title, detail naming the
fields at fault, and one entry per problem. The OpenAPI document says so for every operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import get
from sqlalchemy import select

from portal.api.models import ApiClient
from portal.cards.controllers.api import SCANS_PER_MINUTE
from tests.conftest import StillClock
from tests.support.booking import standard_timetable
from tests.support.cards import make_api_client
from tests.support.client import PortalClient
from tests.support.databases import TEST_IMPORT_TOKEN

TIMETABLE = "/api/v1/timetable"
SCANS = "/api/v1/scans"
SHAPE = {"status", "title", "detail", "errors"}


def import_headers(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_IMPORT_TOKEN}", **extra}


def api_error(response: Any, status: int) -> dict[str, Any]:
    """The body, checked against the ApiError shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == SHAPE, body
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "'data'" not in body["detail"] and "Traceback" not in response.text
    for error in body["errors"]:
        assert set(error) == {"field", "problem"} and error["field"] and error["problem"]
        assert f"{error['field']}: {error['problem']}" in body["detail"]
    return dict(body)


def test_a_missing_body_says_so_in_words(client: PortalClient) -> None:
    body = api_error(client.post(TIMETABLE, headers=import_headers()), 400)
    assert body["errors"] == [
        {"field": "body", "problem": "is missing: send the request as a JSON object"}
    ]


def test_a_body_that_is_not_json_is_a_400_naming_the_body(client: PortalClient) -> None:
    response = client.post(
        TIMETABLE,
        content=b'{"departments": [',
        headers=import_headers(**{"content-type": "application/json"}),
    )
    body = api_error(response, 400)
    assert body["errors"][0]["field"] == "body"
    assert body["errors"][0]["problem"].startswith("is not valid JSON")


def test_json_nested_too_deeply_is_a_400_not_a_crash(client: PortalClient) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post(
        TIMETABLE, content=deep, headers=import_headers(**{"content-type": "application/json"})
    )
    assert api_error(response, 400)["errors"] == [
        {"field": "body", "problem": "is nested too deeply"}
    ]


def test_json_that_does_not_fit_is_a_422_naming_the_field(client: PortalClient) -> None:
    payload = standard_timetable()
    payload["doctors"][0]["surprise"] = 1
    body = api_error(client.post(TIMETABLE, json=payload, headers=import_headers()), 422)
    assert body["errors"] == [
        {"field": "doctors[0].surprise", "problem": "is not a field of this object"}
    ]
    wrong_type = api_error(
        client.post(TIMETABLE, json={"departments": {}}, headers=import_headers()), 422
    )
    assert wrong_type["detail"] == "departments: must be a JSON array, not a JSON object"


@pytest.mark.parametrize("path", [TIMETABLE, SCANS])
def test_without_a_token_the_answer_is_401_naming_the_header(
    client: PortalClient, path: str
) -> None:
    response = client.post(path, json={})
    body = api_error(response, 401)
    assert body["errors"][0]["field"] == "Authorization"
    assert response.headers["www-authenticate"].startswith("Bearer")
    wrong = api_error(client.post(path, json={}, headers={"Authorization": "Bearer nope"}), 401)
    assert wrong["errors"][0]["field"] == "Authorization"


def test_a_client_without_the_desks_scope_gets_403_naming_the_touchpoint(
    client: PortalClient,
) -> None:
    token = make_api_client(client, "lab scanner", ["scan:lab"])
    response = client.post(
        SCANS,
        json={"code": "1234", "touchpoint": "pharmacy"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = api_error(response, 403)
    assert body["errors"] == [
        {"field": "touchpoint", "problem": "this client may not scan at pharmacy"}
    ]


def test_an_unknown_api_path_is_a_404_in_the_same_shape(client: PortalClient) -> None:
    body = api_error(client.get("/api/v1/no-such-thing"), 404)
    assert body["errors"] == [] and "/api/v1/no-such-thing" in body["detail"]


@pytest.mark.parametrize("path", [TIMETABLE, SCANS])
def test_a_wrong_method_is_a_405_that_says_which_method_to_use(
    client: PortalClient, path: str
) -> None:
    response = client.put(path, json={})
    body = api_error(response, 405)
    assert "POST" in response.headers["allow"] and "POST" in body["detail"]


def test_a_body_over_the_limit_is_a_413(client: PortalClient) -> None:
    token = make_api_client(client, "scanner", ["scan:*"])
    response = client.post(
        SCANS,
        json={"code": "1" * 20000, "touchpoint": "triage"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = api_error(response, 413)
    assert body["errors"][0]["field"] == "body"
    assert "16384 bytes" in body["errors"][0]["problem"]


def test_a_body_that_is_not_sent_as_json_is_a_415(client: PortalClient) -> None:
    response = client.post(
        TIMETABLE,
        content=json.dumps(standard_timetable()).encode(),
        headers=import_headers(**{"content-type": "text/plain"}),
    )
    body = api_error(response, 415)
    assert body["errors"] == [
        {"field": "Content-Type", "problem": "must be application/json, not text/plain"}
    ]


def test_too_many_scans_is_a_429_with_retry_after(
    client: PortalClient, limiter_clock: StillClock
) -> None:
    token = make_api_client(client, "busy scanner", ["scan:*"])

    async def client_id(session: Any) -> str:
        return str(
            await session.scalar(select(ApiClient.id).where(ApiClient.name == "busy scanner"))
        )

    key = f"api-scan:{client.db(client_id)}"
    limiter = client.app.state.rate_limiter

    async def use_up(_session: Any) -> None:
        for _ in range(SCANS_PER_MINUTE):
            await limiter.hit(key, SCANS_PER_MINUTE, 60)

    client.db(use_up)
    response = client.post(
        SCANS,
        json={"code": "1234", "touchpoint": "triage"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = api_error(response, 429)
    assert response.headers["retry-after"] == "60"
    assert str(SCANS_PER_MINUTE) in body["detail"]


def test_a_server_error_in_the_api_is_the_same_shape_without_internals(
    client: PortalClient,
) -> None:
    @get("/api/test-only/explode", sync_to_thread=False)
    def explode() -> None:
        raise RuntimeError("db password is hunter2")

    client.app.register(explode)
    body = api_error(client.get("/api/test-only/explode"), 500)
    assert "hunter2" not in json.dumps(body) and body["errors"] == []


def test_every_operation_documents_its_errors_as_api_error(client: PortalClient) -> None:
    document = client.get("/schema/openapi.json").json()
    shape = document["components"]["schemas"]["ApiError"]
    assert set(shape["required"]) == SHAPE
    expected = {
        TIMETABLE: {"400", "401", "403", "413", "415", "422"},
        SCANS: {"400", "401", "403", "413", "415", "422", "429"},
    }
    for path, statuses in expected.items():
        responses = document["paths"][path]["post"]["responses"]
        errors = {status for status in responses if status.startswith("4")}
        assert errors == statuses, path
        for status in errors:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ApiError"}, (path, status)
