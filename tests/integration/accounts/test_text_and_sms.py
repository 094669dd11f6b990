"""What a review broke in: an ID number in full-width digits made a second patient without
consent; phone limits were keyed on many spellings of one number; the SMS gateway ran inside the
write transaction and its failures answered 500. And what changing a shared patient's phone now
takes: the old phone's agreement."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.accounts.models import LoginCode, Patient
from portal.audit.models import AuditEvent
from portal.messaging.models import OutboxMessage
from tests.integration.accounts.test_patients import (
    PHONE_A,
    PHONE_B,
    log_in_as,
    member_ids,
    snapshot,
    use_browser,
)
from tests.support.client import PortalClient
from tests.support.people import MOTHER

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def count(client: PortalClient, model: Any, *where: Any) -> int:
    async def read(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))

    return int(client.db(read))


def test_an_id_number_in_full_width_digits_is_the_same_person_and_needs_their_consent(
    client: PortalClient,
) -> None:
    log_in_as(client, PHONE_A)
    assert client.add_member(**MOTHER).status_code == 303
    log_in_as(client, PHONE_B)
    typed = {**MOTHER, "id_number": MOTHER["id_number"].translate(FULL_WIDTH)}
    response = client.add_member(**typed)
    # Not a second patient: the consent page, and a code on her own phone.
    assert response.headers["location"] == "/patients/confirm"
    assert count(client, Patient) == 1
    assert client.latest_code(MOTHER["phone"])


def test_other_scripts_digits_are_refused_with_the_fields_message(client: PortalClient) -> None:
    log_in_as(client, PHONE_A)
    before = snapshot(client)
    arabic = {**MOTHER, "id_number": MOTHER["id_number"].translate(ARABIC_INDIC)}
    response = client.add_member(**arabic)
    assert response.status_code == 400
    assert "An ID number has 17 digits and then a digit or the letter X." in response.text
    response = client.add_member(**{**MOTHER, "phone": MOTHER["phone"].translate(ARABIC_INDIC)})
    assert response.status_code == 400
    assert "11-digit mobile phone number" in response.text
    assert snapshot(client) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "王秀\x00英"),
        ("name", "王\u202e英秀"),
        ("name", "王" * 10_000),
        ("id_number", MOTHER["id_number"] + "\x00"),
        ("phone", "\x0013911112222"),
        ("relationship", "parent\x00"),
    ],
    ids=["nul", "rtl-override", "10000-chars", "nul-in-id", "nul-in-phone", "nul-in-choice"],
)
def test_a_refused_value_is_named_on_its_field_and_nothing_is_written(
    client: PortalClient, field: str, value: str
) -> None:
    log_in_as(client, PHONE_A)
    before = snapshot(client)
    response = client.add_member(**{**MOTHER, field: value})
    assert response.status_code == 400
    assert f'id="f-{field}-error"' in response.text
    assert "characters" in response.text  # "…cannot be used here" or "at most … characters"
    assert snapshot(client) == before


def test_a_login_phone_typed_in_full_width_is_one_number_for_the_limits(
    client: PortalClient,
) -> None:
    client.cookies.set("ymt_lang", "en")
    assert client.submit("/login/code", {"phone": "１３７００００００９９"}).status_code == 303
    again = client.submit("/login/code", {"phone": "13700000099"})
    assert again.status_code == 400
    assert "A code was just sent" in again.text
    code = client.latest_code("13700000099")
    # The code itself can be typed in full-width digits too.
    response = client.submit("/login/verify", {"code": code.translate(FULL_WIDTH)})
    assert response.status_code == 303
    assert count(client, LoginCode, LoginCode.phone == "13700000099") == 1


def test_a_nul_in_a_search_is_a_clear_400_in_the_visitors_language(client: PortalClient) -> None:
    client.cookies.set("ymt_lang", "en")
    response = client.get("/booking/search?q=a%00b")
    assert response.status_code == 400
    assert "holds characters that cannot be used" in response.text
    client.cookies.set("ymt_lang", "zh_Hans")
    assert "不能使用的字符" in client.get("/booking/search?q=%E9%AB%98%00").text
    assert client.get("/booking/search?q=%EF%BC%91").status_code == 200  # full-width "1"


class FailingGateway:
    """An SMS gateway that answers 503."""

    def __init__(self) -> None:
        self.tries = 0

    async def send(self, phone: str, body: str) -> None:
        self.tries += 1
        raise ConnectionError("503 Service Unavailable")


def test_a_failing_gateway_says_so_and_does_not_count_the_code(client: PortalClient) -> None:
    client.cookies.set("ymt_lang", "en")
    working = client.app.state.sms_sender
    client.app.state.sms_sender = failing = FailingGateway()
    response = client.submit("/login/code", {"phone": PHONE_A})
    assert response.status_code == 400
    assert "could not send the text message" in response.text
    assert count(client, LoginCode) == 0
    # Nothing counted against the phone: asking again at once works when the gateway is back.
    client.app.state.sms_sender = working
    assert client.submit("/login/code", {"phone": PHONE_A}).status_code == 303
    assert failing.tries == 1
    assert count(client, LoginCode) == 1


def test_the_code_is_committed_before_the_text_is_sent(client: PortalClient) -> None:
    """The sender runs with no write transaction open: it can read the committed code row."""
    seen: list[int] = []
    working = client.app.state.sms_sender

    class Watching:
        async def send(self, phone: str, body: str) -> None:
            async with client.app.state.db_sessions() as other:
                seen.append(int(await other.scalar(select(func.count()).select_from(LoginCode))))
            await working.send(phone, body)

    client.app.state.sms_sender = Watching()
    assert client.submit("/login/code", {"phone": PHONE_A}).status_code == 303
    assert seen == [1]
    assert count(client, OutboxMessage) == 1


def _shared_mother(client: PortalClient, clock: Any) -> tuple[Any, str]:
    """PHONE_A registers her; PHONE_B joins with her consent; a minute passes (her phone may
    have a new code). Returns A's browser and her id."""
    jar_a = log_in_as(client, PHONE_A)
    assert client.add_member(**MOTHER).status_code == 303
    (mother_id,) = member_ids(client)
    log_in_as(client, PHONE_B)
    joined = client.join_with_consent(MOTHER["phone"], client.add_member(**MOTHER))
    assert joined.status_code == 303
    use_browser(client, jar_a)
    clock.advance(seconds=61)
    return jar_a, mother_id


def test_a_shared_patients_phone_changes_only_with_a_code_from_the_old_phone(
    client: PortalClient, clock: Any
) -> None:
    _jar, mother_id = _shared_mother(client, clock)
    new_phone = "13600000777"
    response = client.submit(f"/patients/{mother_id}/edit", {**MOTHER, "phone": new_phone})
    assert response.headers["location"] == f"/patients/{mother_id}/phone"
    page = client.get(f"/patients/{mother_id}/phone").text
    assert "139****2222" in page
    stored = {p for _, _, _, p, _ in snapshot(client)[0]}
    assert stored == {MOTHER["phone"]}  # not changed yet
    wrong = client.submit(f"/patients/{mother_id}/phone", {"code": "000000"})
    assert wrong.status_code == 400
    code = client.latest_code(MOTHER["phone"])
    done = client.submit(f"/patients/{mother_id}/phone", {"code": code})
    assert done.status_code == 303
    assert {p for _, _, _, p, _ in snapshot(client)[0]} == {new_phone}
    assert count(client, AuditEvent, AuditEvent.action == "patient_phone_change") == 1


def test_a_code_for_one_new_phone_cannot_confirm_another(client: PortalClient, clock: Any) -> None:
    _jar, mother_id = _shared_mother(client, clock)
    client.submit(f"/patients/{mother_id}/edit", {**MOTHER, "phone": "13600000777"})
    code = client.latest_code(MOTHER["phone"])
    # The same account now asks for a different number: the pending change is replaced, and
    # the code sent for the first number does not confirm the second. Her phone had a code a
    # moment ago, so the page says when the next one can be sent instead of pretending.
    again = client.submit(f"/patients/{mother_id}/edit", {**MOTHER, "phone": "13600000888"})
    assert again.status_code == 200
    assert "A code was just sent" in again.text or "验证码刚刚已发送" in again.text
    response = client.submit(f"/patients/{mother_id}/phone", {"code": code})
    assert response.status_code == 400
    assert {p for _, _, _, p, _ in snapshot(client)[0]} == {MOTHER["phone"]}
    # A minute later the code for the second number can be sent, and it works.
    clock.advance(seconds=61)
    assert client.submit(f"/patients/{mother_id}/phone/resend").status_code == 303
    second = client.latest_code(MOTHER["phone"])
    assert second != code
    assert client.submit(f"/patients/{mother_id}/phone", {"code": second}).status_code == 303
    assert {p for _, _, _, p, _ in snapshot(client)[0]} == {"13600000888"}


def test_an_unshared_patients_phone_changes_at_once(client: PortalClient) -> None:
    log_in_as(client, PHONE_A)
    assert client.add_member(**MOTHER).status_code == 303
    (mother_id,) = member_ids(client)
    response = client.submit(f"/patients/{mother_id}/edit", {**MOTHER, "phone": "13600000777"})
    assert response.headers["location"] == "/patients"
    assert {p for _, _, _, p, _ in snapshot(client)[0]} == {"13600000777"}
