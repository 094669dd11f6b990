"""Scanning at a desk: every outcome, the desk's policy, the audit log, through the API and the
staff station."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.touchpoints import Role, Touchpoint
from tests.support.cards import card_of, live_code, make_api_client, make_staff, staff_login
from tests.support.client import PortalClient
from tests.support.people import MOTHER, SELF


@pytest.fixture
def family(client: PortalClient) -> PortalClient:
    client.log_in(SELF["phone"])
    client.add_member(**SELF)
    client.add_member(**MOTHER)
    return client


def api_scan(client: PortalClient, token: str, code: str, touchpoint: str = "triage") -> Any:
    return client.post(
        "/api/v1/scans",
        json={"code": code, "touchpoint": touchpoint},
        headers={"Authorization": f"Bearer {token}"},
    )


def audit(client: PortalClient) -> list[AuditEvent]:
    async def events(session: Any) -> list[AuditEvent]:
        return list(
            (await session.scalars(select(AuditEvent).order_by(AuditEvent.created_at))).all()
        )

    return client.db(events)


def test_live_code_resolves_to_the_patient_masked(family: PortalClient) -> None:
    token = make_api_client(family, "triage scanner", ["scan:triage"])
    card = card_of(family, MOTHER["name"])
    response = api_scan(family, token, live_code(family, card))
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] and body["outcome"] == "accepted" and body["kind"] == "dynamic"
    assert body["patient"]["name"] == "王*英" and body["patient"]["age"] == 82
    assert MOTHER["id_number"] not in response.text and "王秀英" not in response.text


def test_barcode_and_typed_numbers_are_static_codes(family: PortalClient) -> None:
    token = make_api_client(family, "triage scanner", ["scan:*"])
    number = card_of(family, SELF["name"]).card_number
    for text in (number, " ".join(number[i : i + 4] for i in range(0, 16, 4)), f"  {number}\n"):
        body = api_scan(family, token, text).json()
        assert body["accepted"] and body["kind"] == "static", text


@pytest.mark.parametrize(
    "outcome",
    ["malformed", "bad_check_digit", "forged", "expired", "from_the_future", "unknown_card"],
)
def test_each_refusal_says_what_to_do_next(family: PortalClient, outcome: str) -> None:
    import ecard

    token = make_api_client(family, "scanner", ["scan:*"])
    card = card_of(family, SELF["name"])
    now = family.app.state.clock.now().timestamp()
    unknown = ecard.new_card_number()
    text = {
        "malformed": "hello world",
        "bad_check_digit": card.card_number[:-1] + str((int(card.card_number[-1]) + 1) % 10),
        "forged": live_code(family, card)[:-1]
        + ("A" if live_code(family, card)[-1] != "A" else "B"),
        "expired": live_code(family, card, at=now - 300),
        "from_the_future": live_code(family, card, at=now + 300),
        "unknown_card": unknown,
    }[outcome]
    body = api_scan(family, token, text).json()
    assert body["accepted"] is False
    assert body["outcome"] == outcome
    assert body["message"] and body["advice"] and body["patient"] is None


def test_a_code_stays_accepted_for_about_two_minutes(family: PortalClient) -> None:
    token = make_api_client(family, "scanner", ["scan:*"])
    card = card_of(family, SELF["name"])
    code = live_code(family, card)
    family.app.state.clock.advance(seconds=89)
    assert api_scan(family, token, code).json()["accepted"]
    family.app.state.clock.advance(seconds=60)
    assert api_scan(family, token, code).json()["outcome"] == "expired"


def test_after_a_reissue_every_earlier_code_is_refused_at_once(family: PortalClient) -> None:
    import re

    token = make_api_client(family, "scanner", ["scan:*"])
    old = card_of(family, SELF["name"])
    old_live, old_static = live_code(family, old), old.card_number
    confirm = family.get("/ecard/reissue").text
    patient_id = re.search(r'name="patient" value="([0-9a-f-]+)"', confirm).group(1)
    family.submit("/ecard/reissue", {"patient": patient_id})
    assert api_scan(family, token, old_live).json()["outcome"] == "revoked"
    assert api_scan(family, token, old_static).json()["outcome"] == "revoked"
    new = card_of(family, SELF["name"])
    assert api_scan(family, token, live_code(family, new)).json()["accepted"]


def test_pharmacy_and_cashier_take_only_the_live_code(family: PortalClient) -> None:
    token = make_api_client(family, "scanner", ["scan:*"])
    card = card_of(family, SELF["name"])
    for desk in ("pharmacy", "cashier"):
        refused = api_scan(family, token, card.card_number, desk).json()
        assert refused["outcome"] == "dynamic_required" and not refused["accepted"]
        assert api_scan(family, token, live_code(family, card), desk).json()["accepted"]
    assert api_scan(family, token, card.card_number, "lab").json()["accepted"]


def test_every_scan_is_audited_accepted_or_not(family: PortalClient) -> None:
    token = make_api_client(family, "lab scanner", ["scan:lab"])
    card = card_of(family, SELF["name"])
    api_scan(family, token, live_code(family, card), "lab")
    api_scan(family, token, "garbage", "lab")
    events = [e for e in audit(family) if e.action == "scan"]
    assert [e.outcome for e in events] == ["accepted", "malformed"]
    assert events[0].actor_name == "lab scanner" and events[0].touchpoint == "lab"
    assert events[0].card_number == card.card_number and events[0].patient_id == card.patient_id


def test_the_api_needs_a_valid_token_with_the_desks_scope(family: PortalClient) -> None:
    card = card_of(family, SELF["name"])
    assert (
        family.post(
            "/api/v1/scans", json={"code": card.card_number, "touchpoint": "lab"}
        ).status_code
        == 401
    )
    assert api_scan(family, "ymt_wrong", card.card_number, "lab").status_code == 401
    token = make_api_client(family, "lab only", ["scan:lab"])
    forbidden = api_scan(family, token, card.card_number, "pharmacy")
    assert forbidden.status_code == 403 and forbidden.headers["content-type"].startswith(
        "application/json"
    )
    unknown_desk = api_scan(family, token, card.card_number, "nowhere")
    assert unknown_desk.status_code == 422
    assert unknown_desk.json()["errors"][0]["field"] == "touchpoint"
    assert not [e for e in audit(family) if e.action == "scan"]


def test_the_scan_api_is_in_the_openapi_schema(client: PortalClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/scans"]["post"]
    assert operation["summary"]
    assert "ScanRequest" in str(operation["requestBody"]) and "ScanResponse" in str(
        operation["responses"]
    )


# -- the staff station ----------------------------------------------------------------------


def test_nurse_scans_at_triage_and_sees_the_patient(family: PortalClient) -> None:
    make_staff(family, "nurse1", Role.NURSE, [Touchpoint.TRIAGE])
    staff_login(family, "nurse1")
    card = card_of(family, MOTHER["name"])
    page = family.get("/staff/scan/triage")
    assert page.status_code == 200 and "autofocus" in page.text
    result = family.submit(
        "/staff/scan/triage", {"code": live_code(family, card)}, headers={"HX-Request": "true"}
    )
    assert result.status_code == 200 and "<html" not in result.text
    assert 'data-outcome="accepted"' in result.text and "王*英" in result.text
    assert "80" in result.text  # aged 80 or over, said in words
    refused = family.submit("/staff/scan/triage", {"code": "nonsense"})
    assert 'data-outcome="refused"' in refused.text and "<html" in refused.text
    events = [e for e in audit(family) if e.action == "scan"]
    assert events[-2].actor_name.startswith("Staff nurse1") and events[-1].outcome == "malformed"


def test_a_pharmacist_cannot_use_the_triage_desk(family: PortalClient) -> None:
    make_staff(family, "pharm1", Role.PHARMACIST, [Touchpoint.PHARMACY])
    staff_login(family, "pharm1")
    assert family.get("/staff/scan/pharmacy").status_code == 200
    assert family.get("/staff/scan/triage").status_code == 403
    assert family.submit("/staff/scan/triage", {"code": "x"}).status_code == 403
    assert family.get("/staff/scan/nowhere").status_code == 404
    assert family.get("/staff/audit").status_code == 403


def test_a_patient_cannot_open_staff_pages(family: PortalClient) -> None:
    for path in ("/staff", "/staff/scan/triage", "/staff/audit"):
        response = family.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/staff/login"
        ), path


def test_wrong_staff_password_is_refused_kindly(client: PortalClient) -> None:
    make_staff(client, "nurse2", Role.NURSE, [Touchpoint.TRIAGE])
    response = client.submit("/staff/login", {"username": "nurse2", "password": "wrong-password"})
    assert response.status_code == 400 and 'value="nurse2"' in response.text
    assert "wrong-password" not in response.text


def test_admin_filters_the_audit_log(family: PortalClient) -> None:
    token = make_api_client(family, "scanner", ["scan:*"])
    card = card_of(family, SELF["name"])
    api_scan(family, token, card.card_number, "lab")
    api_scan(family, token, "junk", "triage")
    make_staff(family, "boss", Role.ADMIN, [])
    staff_login(family, "boss")
    everything = family.get("/staff/audit").text
    assert everything.count("<tr>") == 3  # header and two events
    lab_only = family.get("/staff/audit?touchpoint=lab").text
    assert lab_only.count("<tr>") == 2 and card.card_number in lab_only
    assert family.get("/staff/audit?outcome=malformed").text.count("<tr>") == 2
