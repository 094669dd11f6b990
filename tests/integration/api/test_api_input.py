"""What a fuzzer sends to the timetable import and the scan API: each refusal is a 4xx that names
the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.booking.models import Department, Doctor, Schedule, Slot
from tests.support.booking import department, session, standard_timetable
from tests.support.cards import make_api_client
from tests.support.client import PortalClient
from tests.support.databases import TEST_IMPORT_TOKEN

TIMETABLE = "/api/v1/timetable"
FEE_WORDS = "must be a decimal number of yuan from 0 to 10000 with at most two decimal places"


def send(client: PortalClient, payload: Any) -> Any:
    return client.post(
        TIMETABLE, json=payload, headers={"Authorization": f"Bearer {TEST_IMPORT_TOKEN}"}
    )


def rows(client: PortalClient) -> dict[str, int]:
    async def count(db: Any) -> dict[str, int]:
        return {
            model.__name__: int(await db.scalar(select(func.count()).select_from(model)))
            for model in (Department, Doctor, Schedule, Slot)
        }

    return client.db(count)


NOTHING = {"Department": 0, "Doctor": 0, "Schedule": 0, "Slot": 0}


def refused(client: PortalClient, payload: Any, field: str, status: int = 422) -> str:
    """The request is refused with ``status``, names ``field`` first, and writes nothing."""
    response = send(client, payload)
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["field"] == field, error
    assert rows(client) == NOTHING
    return str(error["problem"])


@pytest.mark.parametrize(
    ("fee", "shown"),
    [
        ("NaN", '"NaN"'),
        ("Infinity", '"Infinity"'),
        ("-Infinity", '"-Infinity"'),
        ("1e3", '"1e3"'),
        ("1E+3", '"1E+3"'),
        ("0.001", '"0.001"'),
        ("12.345", '"12.345"'),
        ("-1", '"-1"'),
        ("10000.01", '"10000.01"'),
        (" 50", '" 50"'),
        ("50\n", '"50\\n"'),
        ("٥٠", '"٥٠"'),
        ("", '""'),
        (50.5, "50.5"),
        (0.001, "0.001"),
        (-1, "-1"),
        (10001, "10001"),
        (True, "true"),
    ],
)
def test_a_fee_that_is_not_a_plain_amount_is_refused_and_nothing_is_imported(
    client: PortalClient, fee: Any, shown: str
) -> None:
    payload = standard_timetable(x=session("CARD-1201-AM", "D1", "2026-12-01"))
    payload["sessions"][0]["fee"] = fee
    problem = refused(client, payload, "sessions[0].fee")
    assert problem.startswith(FEE_WORDS) and problem.endswith(f"not {shown}"), problem


@pytest.mark.parametrize(("fee", "cents"), [("50.00", 5000), ("0.5", 50), (20, 2000), (30.0, 3000)])
def test_a_plain_fee_is_imported_to_the_fen(client: PortalClient, fee: Any, cents: int) -> None:
    payload = standard_timetable(x=session("CARD-1201-AM", "D1", "2026-12-01"))
    payload["sessions"][0]["fee"] = fee
    assert send(client, payload).status_code == 200

    async def fee_cents(db: Any) -> int:
        return int(await db.scalar(select(Schedule.fee_cents)))

    assert client.db(fee_cents) == cents


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "心血管\x00内科"),
        ("name", "心血管\n内科"),
        ("location", "3 层\x1b[31m"),
        ("name_en", "A\x7f"),
    ],
)
def test_control_characters_in_a_department_are_refused_and_nothing_is_written(
    client: PortalClient, field: str, value: str
) -> None:
    payload = {"departments": [department(**{field: value})]}
    problem = refused(client, payload, f"departments[0].{field}")
    assert "control characters" in problem


def test_running_text_may_have_line_breaks_but_no_nul(client: PortalClient) -> None:
    assert (
        send(client, {"departments": [department(description="一行\n二行\t")]}).status_code == 200
    )
    payload = standard_timetable()
    payload["departments"] = []
    payload["doctors"][0]["bio"] = "简介\x00"
    response = send(client, payload)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "doctors[0].bio"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"departments": [department(code="CARD\n")]}, "departments[0].code"),
        (
            {"departments": [department(keywords=["高血压", "胸闷,头晕"])]},
            "departments[0].keywords[1]",
        ),
        ({"departments": [department(position=10**30)]}, "departments[0].position"),
        ({"departments": [department(position="1")]}, "departments[0].position"),
        ({"departments": [department(name=5)]}, "departments[0].name"),
        ({"departments": [department(name="")]}, "departments[0].name"),
        ({"departments": [department(extra=1)]}, "departments[0].extra"),
        ({"departments": [{"name": "心内科"}]}, "departments[0].code"),
        ({"surprise": []}, "surprise"),
        ([], "body"),
        ({"sessions": [session("S", "D1", "9999-12-31")]}, "sessions[0].date"),
        ({"sessions": [session("S", "D1", "2026-02-30")]}, "sessions[0].date"),
        ({"sessions": [session("S", "D1", "2026-12-01", start="08:00\n")]}, "sessions[0].start"),
        (
            {"sessions": [session("S", "D1", "2026-12-01", places=-1)]},
            "sessions[0].places_per_slot",
        ),
    ],
)
def test_what_a_fuzzer_sends_is_refused_with_the_field_named(
    client: PortalClient, payload: Any, field: str
) -> None:
    refused(client, payload, field)


def test_empty_lists_import_nothing_and_say_so(client: PortalClient) -> None:
    response = send(client, {"departments": [], "doctors": [], "sessions": []})
    assert response.status_code == 200
    assert response.json()["departments_created"] == 0
    assert send(client, {}).status_code == 200


def test_a_code_given_twice_is_refused(client: PortalClient) -> None:
    payload = {"departments": [department(), department()]}
    problem = refused(client, payload, "departments[1].code")
    assert "already given" in problem


def test_rule_problems_name_the_field_and_change_nothing(client: PortalClient) -> None:
    payload = standard_timetable(ok=session("OK", "D1"), bad=session("BAD", "D404"))
    response = send(client, payload)
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "The timetable was not imported"
    assert body["errors"] == [{"field": "sessions[1].doctor", "problem": "there is no doctor D404"}]
    assert rows(client) == NOTHING


@pytest.mark.parametrize("code", ["1234\x00", "12\x1b34", "9" * 257])
def test_a_scan_with_control_characters_or_too_long_is_refused_and_not_audited(
    client: PortalClient, code: str
) -> None:
    token = make_api_client(client, "scanner", ["scan:*"])
    response = client.post(
        "/api/v1/scans",
        json={"code": code, "touchpoint": "triage"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"

    async def audited(db: Any) -> int:
        return int(await db.scalar(select(func.count()).select_from(AuditEvent)))

    assert client.db(audited) == 0


def test_a_scanners_final_enter_is_still_fine(client: PortalClient) -> None:
    token = make_api_client(client, "scanner", ["scan:*"])
    response = client.post(
        "/api/v1/scans",
        json={"code": "1234 5678\r\n", "touchpoint": "triage"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.json()["outcome"] == "malformed"
