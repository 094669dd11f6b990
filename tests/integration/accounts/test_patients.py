"""Family members (就诊人管理): add, edit, remove, choose; masked everywhere but the edit form;
one account can never see or touch another account's patients."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from portal.accounts.idnumber import check_char
from portal.accounts.models import AccountPatient, Patient
from tests.support.client import PortalClient
from tests.support.people import MOTHER, SELF, id_number

PHONE_A = "13700000001"
PHONE_B = "13700000002"
FATHER = {
    "name": "李建国",
    "id_number": id_number(date(1947, 9, 2), 17),
    "phone": "13911113333",
    "relationship": "parent",
}
# 30 February 1944, with the right check character: only the date is wrong.
BAD_DATE = "11010119440230123" + check_char("11010119440230123")
MASKED_MOTHER = "王*英"
MASKED_MOTHER_ID = MOTHER["id_number"][:3] + "*" * 11 + MOTHER["id_number"][-4:]


# -- helpers ----------------------------------------------------------------------------------


def log_in_as(client: PortalClient, phone: str) -> httpx.Cookies:
    """Log in as a new browser would (English, no earlier cookies); returns that browser's jar."""
    client.cookies.clear()
    client.cookies.set("ymt_lang", "en")
    client.log_in(phone)
    return httpx.Cookies(client.cookies)


def use_browser(client: PortalClient, jar: httpx.Cookies) -> None:
    client.cookies = jar


def member_ids(client: PortalClient) -> list[str]:
    page = client.get("/patients").text
    return list(dict.fromkeys(re.findall(r"/patients/([0-9a-f-]{36})/edit", page)))


def header_patient(page: str) -> str:
    """The current patient as the header chip shows it."""
    match = re.search(r'<a class="chip"[^>]*>.*?<span>(.*?)</span>', page, re.S)
    assert match, "no current-patient chip in the header"
    return match.group(1).strip()


def add(client: PortalClient, member: dict[str, str], **changes: str) -> Any:
    return client.add_member(**{**member, **changes})


def snapshot(client: PortalClient) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every patient and every account–patient link, to prove nothing changed."""

    async def read(session: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        patients = await session.execute(
            select(
                Patient.id, Patient.name, Patient.id_number, Patient.phone, Patient.birth_date
            ).order_by(Patient.id)
        )
        links = await session.execute(
            select(
                AccountPatient.account_id,
                AccountPatient.patient_id,
                AccountPatient.relationship_kind,
            ).order_by(AccountPatient.id)
        )
        return [tuple(r) for r in patients], [tuple(r) for r in links]

    return client.db(read)


def stored_patient(client: PortalClient, number: str) -> Patient:
    async def read(session: Any) -> Patient:
        return await session.scalar(select(Patient).where(Patient.id_number == number))

    return client.db(read)


@pytest.fixture
def account_a(client: PortalClient) -> httpx.Cookies:
    return log_in_as(client, PHONE_A)


# -- adding and showing -----------------------------------------------------------------------


def test_adding_a_mother_shows_her_masked_with_age_and_sex_from_the_id_number(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    response = add(client, MOTHER)
    assert response.status_code == 303
    assert response.headers["location"] == "/patients"
    page = client.get("/patients").text
    assert MASKED_MOTHER in page
    assert MASKED_MOTHER_ID in page
    assert "82 years, female" in page  # born 15 March 1944; today is 24 November 2026
    assert "139****2222" in page
    assert "Parent" in page


def test_birth_date_and_sex_are_read_from_the_id_number(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, FATHER)
    father = stored_patient(client, FATHER["id_number"])
    assert father.birth_date == date(1947, 9, 2)
    assert father.sex == "M"
    assert "79 years, male" in client.get("/patients").text


def test_the_age_changes_on_the_birthday(client: PortalClient, clock: Any) -> None:
    log_in_as(client, PHONE_A)
    born = date(1966, 11, 25)
    add(client, SELF, id_number=id_number(born, 31))
    assert "59 years" in client.get("/patients").text
    clock.advance(days=1)
    assert "60 years" in client.get("/patients").text


def test_full_name_and_id_number_appear_only_on_the_edit_form(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    for path in ["/patients", f"/patients/{mother}/remove", "/", "/settings"]:
        page = client.get(path).text
        assert MOTHER["name"] not in page, path
        assert MOTHER["id_number"] not in page, path
        assert MOTHER["phone"] not in page, path
    edit = client.get(f"/patients/{mother}/edit").text
    assert f'value="{MOTHER["name"]}"' in edit
    assert f'value="{MOTHER["id_number"]}"' in edit
    assert f'value="{MOTHER["phone"]}"' in edit


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (MOTHER["id_number"][:17], "An ID number has 18 characters."),
        (MOTHER["id_number"] + "1", "An ID number has 18 characters."),
        (MOTHER["id_number"][:10] + "A" + MOTHER["id_number"][11:], "17 digits and then a digit"),
        (MOTHER["id_number"][:17] + "1", "one of its digits is probably wrong"),
        (BAD_DATE, "is not a real date"),
    ],
    ids=["too-short", "too-long", "letter", "checksum", "bad-date"],
)
def test_each_kind_of_wrong_id_number_says_why_and_keeps_what_was_typed(
    client: PortalClient, account_a: httpx.Cookies, typed: str, message: str
) -> None:
    response = add(client, MOTHER, id_number=typed)
    assert response.status_code == 400
    page = response.text
    assert message in page
    assert f'value="{typed}"' in page
    assert f'value="{MOTHER["name"]}"' in page
    assert f'value="{MOTHER["phone"]}"' in page
    assert re.search(r'<input id="f-id_number"[^>]*aria-invalid="true"', page)
    assert 'aria-describedby="f-id_number-hint f-id_number-error"' in page
    assert member_ids(client) == []


def test_the_four_id_number_messages_are_all_different(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    wrong = [
        MOTHER["id_number"][:17],
        MOTHER["id_number"][:10] + "A" + MOTHER["id_number"][11:],
        MOTHER["id_number"][:17] + "1",
        BAD_DATE,
    ]
    messages = set()
    for typed in wrong:
        page = add(client, MOTHER, id_number=typed).text
        messages.add(re.search(r'id="f-id_number-error">.*?</svg>(.*?)</p>', page, re.S).group(1))
    assert len(messages) == 4


def test_a_lowercase_x_and_spaces_in_the_id_number_are_accepted(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    number = "11010519491231002X"
    typed = "110105 19491231 002x"
    assert add(client, MOTHER, id_number=typed).status_code == 303
    assert stored_patient(client, number) is not None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "real name"),
        ("phone", "12345", "11-digit mobile phone number"),
        ("relationship", "boss", "who this person is to you"),
    ],
)
def test_other_wrong_fields_say_why(
    client: PortalClient, account_a: httpx.Cookies, field: str, value: str, message: str
) -> None:
    response = add(client, MOTHER, **{field: value})
    assert response.status_code == 400
    assert message in response.text
    assert member_ids(client) == []


# -- editing, removing, choosing --------------------------------------------------------------


def test_editing_corrects_the_name_and_phone(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    response = client.submit(
        f"/patients/{mother}/edit", {**MOTHER, "name": "张秀兰", "phone": "13922223333"}
    )
    assert response.status_code == 303
    page = client.get("/patients").text
    assert "张*兰" in page and "139****3333" in page
    assert MASKED_MOTHER not in page
    assert stored_patient(client, MOTHER["id_number"]).name == "张秀兰"
    assert header_patient(page) == "张*兰"  # the header follows the correction


def test_a_mistake_on_the_edit_form_keeps_what_was_typed(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    response = client.submit(f"/patients/{mother}/edit", {**MOTHER, "phone": "1391111"})
    assert response.status_code == 400
    assert 'value="1391111"' in response.text
    assert stored_patient(client, MOTHER["id_number"]).phone == MOTHER["phone"]


def test_correcting_an_id_number_rereads_birth_date_and_sex(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    corrected = id_number(date(1945, 3, 15), 17)
    response = client.submit(f"/patients/{mother}/edit", {**MOTHER, "id_number": corrected})
    assert response.status_code == 303
    patient = stored_patient(client, corrected)
    assert (patient.birth_date, patient.sex) == (date(1945, 3, 15), "M")
    assert stored_patient(client, MOTHER["id_number"]) is None


def test_removing_asks_first_then_removes(client: PortalClient, account_a: httpx.Cookies) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    confirm = client.get(f"/patients/{mother}/remove")
    assert confirm.status_code == 200
    assert MASKED_MOTHER in confirm.text
    assert f'action="/patients/{mother}/remove"' in confirm.text
    assert member_ids(client) == [mother]  # looking at the question removes nothing
    response = client.submit(f"/patients/{mother}/remove")
    assert response.status_code == 303
    assert member_ids(client) == []
    # The hospital keeps the patient; only this account stops managing them.
    assert stored_patient(client, MOTHER["id_number"]) is not None


def test_the_first_person_added_becomes_the_current_patient(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    assert header_patient(client.get("/").text) == "Choose a patient"
    add(client, MOTHER)
    assert header_patient(client.get("/").text) == MASKED_MOTHER
    add(client, FATHER)
    assert header_patient(client.get("/").text) == MASKED_MOTHER
    add(client, SELF)  # adding oneself makes oneself current
    assert header_patient(client.get("/").text) == "李*"


def test_choosing_a_family_member_shows_them_masked_in_the_header(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    add(client, FATHER)
    mother, father = member_ids(client)
    response = client.submit(f"/patients/{father}/choose", {"next": "/settings"})
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    page = client.get("/settings").text
    assert header_patient(page) == "李*国"
    assert FATHER["name"] not in page
    family = client.get("/patients").text
    assert family.count("Current patient</span>") == 1
    assert f'action="/patients/{mother}/choose"' in family
    assert f'action="/patients/{father}/choose"' not in family


def test_choosing_cannot_send_the_patient_off_site(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    response = client.submit(f"/patients/{mother}/choose", {"next": "//evil.com"})
    assert response.headers["location"] == "/patients"


def test_removing_the_current_patient_chooses_the_next_one(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    add(client, FATHER)
    mother, father = member_ids(client)
    client.submit(f"/patients/{mother}/remove")
    assert header_patient(client.get("/").text) == "李*国"
    client.submit(f"/patients/{father}/remove")
    assert header_patient(client.get("/").text) == "Choose a patient"


# -- the rules --------------------------------------------------------------------------------


def test_an_account_manages_at_most_five_people(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    names = ["王秀英", "李建国", "张伟", "刘芳", "陈敏"]
    for n, name in enumerate(names):
        member = {**MOTHER, "name": name, "id_number": id_number(date(1950 + n, 1, 1), 20 + n)}
        assert add(client, member).status_code == 303
    page = client.get("/patients").text
    assert "You have added 5 people, the most one account can manage." in page
    assert 'href="/patients/new"' not in page
    sixth = {**MOTHER, "name": "赵磊", "id_number": id_number(date(1960, 1, 1), 31)}
    refused = add(client, sixth)
    assert refused.status_code == 400
    assert "at most 5 people" in refused.text
    assert 'value="赵磊"' in refused.text
    assert len(member_ids(client)) == 5


def test_yourself_can_be_added_only_once(client: PortalClient, account_a: httpx.Cookies) -> None:
    assert add(client, SELF).status_code == 303
    again = add(client, MOTHER, relationship="self")
    assert again.status_code == 400
    assert "You have already added yourself" in again.text
    assert len(member_ids(client)) == 1
    # Nor can a parent be turned into a second "self" on the edit form.
    add(client, MOTHER)
    _, mother = member_ids(client)
    edit = client.submit(f"/patients/{mother}/edit", {**MOTHER, "relationship": "self"})
    assert edit.status_code == 400
    assert "You have already added yourself" in edit.text


def test_the_new_member_form_suggests_self_first_then_parent(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    assert 'value="self" checked' in client.get("/patients/new").text
    add(client, SELF)
    assert 'value="parent" checked' in client.get("/patients/new").text


def test_adding_someone_already_in_the_list_is_refused(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    again = add(client, MOTHER)
    assert again.status_code == 400
    assert "already in your list" in again.text
    assert len(member_ids(client)) == 1


def test_a_second_account_adding_the_same_id_number_joins_the_same_patient(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    log_in_as(client, PHONE_B)
    asked = add(client, MOTHER, relationship="other", phone="13955556666")
    assert client.join_with_consent(MOTHER["phone"], asked).status_code == 303
    patients, links = snapshot(client)
    assert len(patients) == 1
    assert len(links) == 2
    assert {link[1] for link in links} == {patients[0][0]}
    # The patient's own details stay as they were first registered.
    assert stored_patient(client, MOTHER["id_number"]).phone == MOTHER["phone"]


def test_the_same_id_number_with_another_name_is_refused(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    log_in_as(client, PHONE_B)
    refused = add(client, MOTHER, name="王秀华")
    assert refused.status_code == 400
    assert "The name does not match this ID number" in refused.text
    assert member_ids(client) == []
    _, links = snapshot(client)
    assert len(links) == 1


def test_the_id_number_cannot_change_while_another_account_shares_the_patient(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    log_in_as(client, PHONE_B)
    client.join_with_consent(MOTHER["phone"], add(client, MOTHER))
    use_browser(client, account_a)
    corrected = id_number(date(1945, 3, 15), 28)
    refused = client.submit(f"/patients/{mother}/edit", {**MOTHER, "id_number": corrected})
    assert refused.status_code == 400
    assert "Another account also manages this person" in refused.text
    assert f'value="{corrected}"' in refused.text
    assert stored_patient(client, MOTHER["id_number"]) is not None
    assert stored_patient(client, corrected) is None


def test_an_id_number_cannot_be_changed_to_another_patients(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    add(client, FATHER)
    mother, _ = member_ids(client)
    refused = client.submit(
        f"/patients/{mother}/edit", {**MOTHER, "id_number": FATHER["id_number"]}
    )
    assert refused.status_code == 400
    assert "already belongs to another patient" in refused.text


def test_removing_a_shared_patient_keeps_them_for_the_other_account(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    (mother,) = member_ids(client)
    account_b = log_in_as(client, PHONE_B)
    client.join_with_consent(MOTHER["phone"], add(client, MOTHER))
    use_browser(client, account_a)
    client.submit(f"/patients/{mother}/remove")
    assert member_ids(client) == []
    use_browser(client, account_b)
    assert member_ids(client) == [mother]


# -- isolation between accounts ---------------------------------------------------------------


@pytest.fixture
def a_and_b(client: PortalClient) -> tuple[str, str]:
    """Account A with its mother; account B (now logged in) with its own father."""
    log_in_as(client, PHONE_A)
    add(client, MOTHER)
    (mother,) = member_ids(client)
    log_in_as(client, PHONE_B)
    add(client, FATHER)
    (father,) = member_ids(client)
    return mother, father


def test_another_accounts_patient_is_not_in_the_list(
    client: PortalClient, a_and_b: tuple[str, str]
) -> None:
    mother, father = a_and_b
    page = client.get("/patients").text
    assert mother not in page
    assert MASKED_MOTHER not in page
    assert member_ids(client) == [father]


def test_another_accounts_patient_is_404_in_every_url(
    client: PortalClient, a_and_b: tuple[str, str]
) -> None:
    mother, _ = a_and_b
    before = snapshot(client)
    home_before = header_patient(client.get("/").text)
    assert client.get(f"/patients/{mother}/edit").status_code == 404
    assert client.get(f"/patients/{mother}/remove").status_code == 404
    forged_edit = client.submit(
        f"/patients/{mother}/edit", {**MOTHER, "name": "王秀英", "phone": "13000000000"}
    )
    assert forged_edit.status_code == 404
    assert client.submit(f"/patients/{mother}/remove").status_code == 404
    assert client.submit(f"/patients/{mother}/choose", {"next": "/"}).status_code == 404
    assert snapshot(client) == before
    assert header_patient(client.get("/").text) == home_before
    page = client.get(f"/patients/{mother}/edit").text
    assert MOTHER["name"] not in page and MOTHER["id_number"] not in page
    assert "We could not find this page" in page


FORGED_IDS = [
    "abc",
    "1",
    "00000000-0000-0000-0000-000000000000",
    "0195a0b1-7c3e-7d2a-9f00-123456789abc",  # well-formed, nobody's
    "1%20OR%201%3D1",
    "x" * 300,
    "%E7%8E%8B",
]


def test_malformed_and_unknown_patient_ids_are_404(
    client: PortalClient, a_and_b: tuple[str, str]
) -> None:
    before = snapshot(client)
    for forged in FORGED_IDS:
        assert client.get(f"/patients/{forged}/edit").status_code == 404, forged
        assert client.get(f"/patients/{forged}/remove").status_code == 404, forged
        assert client.submit(f"/patients/{forged}/edit", MOTHER).status_code == 404, forged
        assert client.submit(f"/patients/{forged}/remove").status_code == 404, forged
        response = client.submit(f"/patients/{forged}/choose")
        assert response.status_code == 404, forged
        assert "Traceback" not in response.text
    assert snapshot(client) == before


def test_forged_ids_in_form_fields_change_nothing_of_another_account(
    client: PortalClient, a_and_b: tuple[str, str]
) -> None:
    mother, father = a_and_b
    _, links_before = snapshot(client)
    # Extra fields naming A's patient or account are ignored: only B's own father changes.
    forged = {
        **FATHER,
        "name": "李建华",
        "patient_id": mother,
        "id": mother,
        "account_id": mother,
        "link_id": mother,
    }
    assert client.submit(f"/patients/{father}/edit", forged).status_code == 303
    assert stored_patient(client, MOTHER["id_number"]).name == MOTHER["name"]
    assert stored_patient(client, FATHER["id_number"]).name == "李建华"
    assert client.submit(f"/patients/{father}/choose", {"patient_id": mother}).status_code == 303
    assert header_patient(client.get("/").text) == "李*华"
    _, links_after = snapshot(client)
    assert links_after == links_before


def test_an_account_cannot_take_over_another_patient_by_typing_their_id_number(
    client: PortalClient, a_and_b: tuple[str, str]
) -> None:
    _, father = a_and_b
    before = snapshot(client)
    taken = client.submit(f"/patients/{father}/edit", {**FATHER, "id_number": MOTHER["id_number"]})
    assert taken.status_code == 400
    guessed = add(client, MOTHER, name="王某")
    assert guessed.status_code == 400
    assert snapshot(client) == before


def test_family_pages_ask_for_login_first(client: PortalClient, a_and_b: tuple[str, str]) -> None:
    mother, _ = a_and_b
    client.submit("/logout")
    for path in [f"/patients/{mother}/edit", f"/patients/{mother}/remove"]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert (
            response.headers["location"]
            == f"/login?next=/patients/{mother}/{path.rsplit('/', 1)[1]}"
        )
    before = snapshot(client)
    for path in [f"/patients/{mother}/remove", f"/patients/{mother}/choose", "/patients"]:
        response = client.submit(path, MOTHER)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert snapshot(client) == before


def test_a_person_already_registered_must_agree_before_another_account_can_manage_them(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    log_in_as(client, PHONE_B)
    asked = add(client, MOTHER, relationship="parent")
    assert asked.headers["location"] == "/patients/confirm"
    page = client.get("/patients/confirm").text
    assert "139****2222" in page and MOTHER["id_number"] not in page
    assert member_ids(client) == []  # nothing is shared before the code
    right = client.latest_code(MOTHER["phone"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert client.submit("/patients/confirm", {"code": wrong}).status_code == 400
    assert member_ids(client) == []
    assert client.submit("/patients/confirm", {"code": right}).status_code == 303
    assert len(member_ids(client)) == 1


def test_only_the_account_that_added_a_person_can_change_their_details(
    client: PortalClient, account_a: httpx.Cookies
) -> None:
    add(client, MOTHER)
    log_in_as(client, PHONE_B)
    client.join_with_consent(MOTHER["phone"], add(client, MOTHER))
    (mother,) = member_ids(client)
    page = client.get(f"/patients/{mother}/edit").text
    assert MOTHER["id_number"] not in page and "110***********" in page
    refused = client.submit(f"/patients/{mother}/edit", {**MOTHER, "phone": "13000000000"})
    assert refused.status_code == 400
    assert stored_patient(client, MOTHER["id_number"]).phone == MOTHER["phone"]
