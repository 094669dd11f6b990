"""The timetable import: token, validation, idempotence, booked places kept, CLI, OpenAPI."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from portal.booking.models import Slot
from portal.settings import Settings
from tests.integration.booking.conftest import SESSIONS, appointment_id_of, book
from tests.support.booking import (
    import_timetable,
    session,
    slot_ids,
    standard_timetable,
)
from tests.support.client import PortalClient


def invoke(command: Any, arguments: list[str]) -> Any:
    """Run the command line in a thread of its own: it starts an event loop, and this thread may
    already run one (Playwright's, when a browser test ran earlier in this worker)."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(CliRunner().invoke(command, arguments)))
    thread.start()
    thread.join()
    return outcome[0]


def slot_count(client: PortalClient) -> int:
    async def work(db: Any) -> int:
        return int(await db.scalar(select(func.count()).select_from(Slot)))

    return client.db(work)


def test_without_the_token_nothing_is_imported(client: PortalClient) -> None:
    response = client.post("/api/v1/timetable", json=standard_timetable())
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert "Bearer" in response.headers.get("www-authenticate", "")
    wrong = import_timetable(client, standard_timetable(), token="not-the-token")
    assert wrong.status_code == 401


def test_a_timetable_is_imported_in_15_minute_slots(client: PortalClient) -> None:
    response = import_timetable(client, standard_timetable(**SESSIONS))
    assert response.status_code == 200
    result = response.json()
    assert result["departments_created"] == 2
    assert result["doctors_created"] == 3
    assert result["sessions_created"] == len(SESSIONS)
    assert result["slots_created"] == 4 * (len(SESSIONS) - 1) + 1
    assert slot_count(client) == result["slots_created"]


def test_the_same_file_twice_changes_nothing(client: PortalClient) -> None:
    payload = standard_timetable(**SESSIONS)
    import_timetable(client, payload)
    before = slot_count(client)
    again = import_timetable(client, payload).json()
    assert again["sessions_created"] == 0 and again["slots_created"] == 0
    assert again["sessions_updated"] == len(SESSIONS)
    assert slot_count(client) == before


def test_explicit_slots_are_accepted(client: PortalClient) -> None:
    explicit = {
        "code": "X1",
        "doctor": "D1",
        "date": "2026-12-01",
        "period": "afternoon",
        "fee": 50,
        "slots": [
            {"start": "14:00", "end": "14:30", "capacity": 3},
            {"start": "14:30", "end": "15:00", "capacity": 0},
        ],
    }
    payload = standard_timetable()
    payload["sessions"] = [explicit]
    response = import_timetable(client, payload)
    assert response.status_code == 200, response.text
    assert response.json()["slots_created"] == 2


def test_a_booked_place_is_never_taken_away(client: PortalClient, family: dict[str, str]) -> None:
    first = slot_ids(client, "CARD-1201-AM")[0]
    appointment_id_of(book(client, first, family["self"]))
    appointment_id_of(book(client, first, family["mother"]))
    smaller = session("CARD-1201-AM", "D1", "2026-12-01", places=1, end="08:30")
    result = import_timetable(client, standard_timetable(x=smaller)).json()
    assert any("keeps 2 places" in w for w in result["warnings"])
    assert result["slots_removed"] == 2  # 08:30 and 08:45 had no bookings

    async def capacity(db: Any) -> int:
        return int(await db.scalar(select(Slot.capacity).where(Slot.id == first)))

    assert client.db(capacity) == 2


def test_a_slot_with_bookings_is_closed_not_removed(
    client: PortalClient, family: dict[str, str]
) -> None:
    last = slot_ids(client, "CARD-1201-AM")[-1]
    appointment_id_of(book(client, last, family["self"]))
    shorter = session("CARD-1201-AM", "D1", "2026-12-01", end="08:30")
    result = import_timetable(client, standard_timetable(x=shorter)).json()
    assert last in slot_ids(client, "CARD-1201-AM")
    assert any("closed instead of removed" in w for w in result["warnings"])


def test_an_unknown_doctor_refuses_the_whole_file(client: PortalClient) -> None:
    payload = standard_timetable(ok=session("OK", "D1"), bad=session("BAD", "D404"))
    response = import_timetable(client, payload)
    assert response.status_code == 422
    assert "D404" in json.dumps(response.json())
    assert slot_count(client) == 0


def test_an_invalid_shape_is_refused_with_details(client: PortalClient) -> None:
    payload = standard_timetable()
    payload["doctors"][0]["title"] = "professor"
    response = import_timetable(client, payload)
    # JSON that reads fine but does not fit the schema is a 422 naming the field (400 is for a
    # body that is missing or not JSON at all).
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "doctors[0].title"
    overlapping = standard_timetable(
        x={
            "code": "O",
            "doctor": "D1",
            "date": "2026-12-01",
            "period": "morning",
            "fee": "1.00",
            "slots": [
                {"start": "08:00", "end": "08:30", "capacity": 1},
                {"start": "08:15", "end": "08:45", "capacity": 1},
            ],
        }
    )
    assert import_timetable(client, overlapping).status_code == 422


def test_the_openapi_schema_documents_the_import_and_its_token(client: PortalClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/timetable"]["post"]
    assert operation["security"] == [{"apiClientToken": []}]
    assert "timetable:write" in operation["description"]
    assert "403" in operation["responses"]
    assert schema["components"]["securitySchemes"]["apiClientToken"]["scheme"] == "bearer"
    assert "TimetableImport" in json.dumps(operation["requestBody"])


def test_the_command_line_imports_a_file(
    client: PortalClient, settings: Settings, tmp_path: Path, monkeypatch: Any
) -> None:
    from portal.__main__ import cli
    from portal.settings import get_settings

    path = tmp_path / "timetable.json"
    path.write_text(json.dumps(standard_timetable(**SESSIONS)), encoding="utf-8")
    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.db.url)
    get_settings.cache_clear()
    try:
        result = invoke(cli, ["import-timetable", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "sessions: 6 new" in result.output
    assert slot_count(client) == 21
    bad = tmp_path / "bad.json"
    bad.write_text('{"doctors": [{"code": "D9"}]}', encoding="utf-8")
    refused = invoke(cli, ["import-timetable", str(bad)])
    assert refused.exit_code != 0 and "not a valid timetable" in refused.output
