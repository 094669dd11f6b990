"""The patient's card: issued with the patient, shown live, printable, replaceable."""

from __future__ import annotations

import re

from tests.support.cards import card_of
from tests.support.client import PortalClient
from tests.support.people import MOTHER, SELF


def setup_family(client: PortalClient) -> None:
    client.log_in(SELF["phone"])
    assert client.add_member(**SELF).status_code == 303
    assert client.add_member(**MOTHER).status_code == 303


def test_every_new_patient_gets_a_card_with_a_valid_number(client: PortalClient) -> None:
    import ecard

    setup_family(client)
    mine, mothers = card_of(client, SELF["name"]), card_of(client, MOTHER["name"])
    assert ecard.is_valid_card_number(mine.card_number)
    assert mine.card_number != mothers.card_number
    assert mine.generation == 0 and mine.active


def test_card_page_shows_a_qr_code_the_barcode_and_grouped_digits_without_personal_data(
    client: PortalClient,
) -> None:
    setup_family(client)
    card = card_of(client, SELF["name"])
    page = client.get("/ecard")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.text.count("<svg") >= 2 and 'role="img"' in page.text
    grouped = " ".join(card.card_number[i : i + 4] for i in range(0, 16, 4))
    assert grouped in page.text
    assert "李*" in page.text and SELF["id_number"] not in page.text
    assert re.search(r'data-seconds-left="\d+"', page.text)
    assert 'http-equiv="refresh"' in page.text  # without JavaScript the page refreshes itself


def test_switching_to_a_family_members_card_is_one_tap(client: PortalClient) -> None:
    setup_family(client)
    page = client.get("/ecard")
    links = re.findall(r'href="/ecard\?patient=([0-9a-f-]+)"', page.text)
    assert len(set(links)) == 2
    mothers = card_of(client, MOTHER["name"])
    other = [
        pid
        for pid in set(links)
        if client.get(f"/ecard?patient={pid}").text.count(mothers.card_number[:4])
    ]
    assert other, "one of the switch links shows the mother's card"


def test_the_code_fragment_refreshes_through_htmx(client: PortalClient) -> None:
    setup_family(client)
    fragment = client.get("/ecard/code", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="ecard-code"')
    assert "<html" not in fragment.text
    plain = client.get("/ecard/code", follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"].startswith("/ecard")


def test_another_accounts_patient_card_is_404(client: PortalClient) -> None:
    setup_family(client)
    page = client.get("/ecard")
    mine = re.findall(r'href="/ecard\?patient=([0-9a-f-]+)"', page.text)[0]
    client.submit("/logout")
    client.log_in("13700000099")
    client.add_member(
        name="赵六", id_number="110101199001011237", phone="13700000099", relationship="self"
    )
    for path in (
        f"/ecard?patient={mine}",
        f"/ecard/print?patient={mine}",
        f"/ecard/reissue?patient={mine}",
        "/ecard?patient=not-a-uuid",
    ):
        assert client.get(path).status_code == 404, path
    refused = client.submit("/ecard/reissue", {"patient": mine})
    assert refused.status_code == 404


def test_print_page_has_the_barcode_and_both_paper_sizes(client: PortalClient) -> None:
    setup_family(client)
    card = card_of(client, SELF["name"])
    page = client.get("/ecard/print")
    assert page.status_code == 200
    assert "printed-card a6" in page.text and card.card_number[:4] in page.text
    receipt = client.get("/ecard/print?size=receipt")
    assert "printed-card receipt" in receipt.text


def test_reissue_asks_first_then_issues_a_new_number_and_revokes_the_old(
    client: PortalClient,
) -> None:
    setup_family(client)
    old = card_of(client, SELF["name"])
    confirm = client.get("/ecard/reissue")
    assert confirm.status_code == 200 and 'action="/ecard/reissue"' in confirm.text
    patient_id = re.search(r'name="patient" value="([0-9a-f-]+)"', confirm.text).group(1)
    done = client.submit("/ecard/reissue", {"patient": patient_id})
    assert done.status_code == 303 and "reissued=1" in done.headers["location"]
    new = card_of(client, SELF["name"])
    assert new.card_number != old.card_number and new.generation == old.generation + 1
    assert not card_of(client, SELF["name"], active=False).active  # the first card, now revoked
    assert new.card_number[:4] in client.get(done.headers["location"]).text


def test_card_pages_need_login(client: PortalClient) -> None:
    for path in ("/ecard", "/ecard/print", "/ecard/reissue"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), (
            path
        )
