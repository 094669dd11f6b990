"""The hospital's system sends bills (``POST /api/v1/bills``) and voids their lines: matched by the
bill number, never duplicated, totals worked out here, and every refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.payments.models import Bill, BillItem, Refund
from tests.integration.payments.conftest import count, item, lab_bill, send, void
from tests.support.cards import make_api_client
from tests.support.client import PortalClient


def bills(client: PortalClient) -> list[Bill]:
    async def work(db: Any) -> list[Bill]:
        return list(await db.scalars(select(Bill).order_by(Bill.number)))

    return client.db(work)


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["problem"] for e in response.json()["errors"]}


def test_a_bill_is_added_with_its_total_worked_out_here(client: PortalClient, family: Any) -> None:
    response = send(client, lab_bill("MZ001", family["mother"]["card"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    (bill,) = bills(client)
    assert str(bill.patient_id) == family["mother"]["id"]
    assert bill.total_cents == 2500 + 4800 + 2 * 150
    assert bill.status == "unpaid" and bill.account_id is None
    assert [(i.line, i.category, i.amount_cents) for i in bill.items] == [
        ("1", "lab_test", 2500),
        ("2", "lab_test", 4800),
        ("3", "material", 300),
    ]


def test_a_patient_is_found_by_id_number_too(client: PortalClient, family: Any) -> None:
    bill = lab_bill("MZ002", "")
    bill["patient"] = {"system": "id_number", "value": family["self"]["id_number"]}
    assert send(client, bill).status_code == 200
    assert str(bills(client)[0].patient_id) == family["self"]["id"]


def test_the_same_bills_twice_change_nothing(client: PortalClient, family: Any) -> None:
    payload = [
        lab_bill("MZ001", family["mother"]["card"]),
        lab_bill("MZ002", family["self"]["card"]),
    ]
    assert send(client, *payload).json()["created"] == 2
    events = count(client, AuditEvent)
    for _ in range(3):
        assert send(client, *payload).json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert count(client, Bill) == 2 and count(client, BillItem) == 6
    assert count(client, AuditEvent) == events  # nothing changed, nothing audited


def test_an_unpaid_bill_takes_the_lines_it_is_sent_again(client: PortalClient, family: Any) -> None:
    card = family["mother"]["card"]
    send(client, lab_bill("MZ001", card))
    changed = lab_bill(
        "MZ001", card, item("1", "血常规", "lab_test", 2500), item("4", "血脂", "lab_test", 3600)
    )
    assert send(client, changed).json() == {"created": 0, "updated": 1, "unchanged": 0}
    (bill,) = bills(client)
    assert bill.total_cents == 2500 + 3600
    status = {i.line: i.status for i in bill.items}
    assert status == {"1": "billed", "2": "void", "3": "void", "4": "billed"}  # kept, never deleted
    assert send(client, changed).json()["unchanged"] == 1


def test_voided_lines_count_in_no_total_and_a_bill_with_none_left_is_void(
    client: PortalClient, family: Any
) -> None:
    send(client, lab_bill("MZ001", family["mother"]["card"]))
    response = void(client, "MZ001", "2")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "number": "MZ001",
        "status": "unpaid",
        "total_fen": 2800,
        "voided": 1,
    }
    assert void(client, "MZ001", "2").json()["voided"] == 0  # again: nothing more
    assert void(client, "MZ001", "1", "3").json() == {
        "number": "MZ001",
        "status": "void",
        "total_fen": 0,
        "voided": 2,
    }
    assert problems(void(client, "MZ001", "9"))["lines"] == "bill MZ001 has no line 9"
    missing = void(client, "NOPE", "1")
    assert missing.status_code == 404 and "no bill numbered NOPE" in missing.text


def test_a_paid_bill_can_no_longer_change_but_its_lines_can_be_voided(
    client: PortalClient, family: Any
) -> None:
    card = family["mother"]["card"]
    send(client, lab_bill("MZ001", card))

    async def pay(db: Any) -> None:
        bill = await db.scalar(select(Bill))
        bill.status = "paid"
        await db.commit()

    client.db(pay)
    assert send(client, lab_bill("MZ001", card)).json()["unchanged"] == 1
    refused = send(client, lab_bill("MZ001", card, item("1", "血常规", "lab_test", 1)))
    assert "is paid: it can no longer change" in problems(refused)["bills[0].number"]
    assert bills(client)[0].total_cents == 7600
    # The hospital may still void a line it did not perform: paid at the window (no gateway
    # took it), the window hands that back; nothing is refunded here.
    assert void(client, "MZ001", "1").status_code == 200
    assert bills(client)[0].total_cents == 5100 and bills(client)[0].status == "paid"
    assert count(client, Refund) == 0


def test_an_unknown_patient_refuses_the_whole_import(client: PortalClient, family: Any) -> None:
    good = lab_bill("MZ001", family["mother"]["card"])
    unknown = lab_bill("MZ002", "1234567890123452")
    found = problems(send(client, good, unknown))
    assert found == {"bills[1].patient": "no patient of this hospital has this card number"}
    assert count(client, Bill) == 0


def test_a_bill_number_is_one_patients(client: PortalClient, family: Any) -> None:
    send(client, lab_bill("MZ001", family["mother"]["card"]))
    found = problems(send(client, lab_bill("MZ001", family["self"]["card"])))
    assert found == {"bills[0].patient": "bill MZ001 is another patient's"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(number="MZ 1"), "bills[0].number"),
        (lambda b: b.update(number="x" * 41), "bills[0].number"),
        (lambda b: b.update(title="血常规\x00"), "bills[0].title"),
        (lambda b: b.update(title=""), "bills[0].title"),
        (lambda b: b.update(items=[]), "bills[0].items"),
        (lambda b: b["items"][0].update(unit_price_fen=-1), "bills[0].items[0].unit_price_fen"),
        (lambda b: b["items"][0].update(unit_price_fen=25.5), "bills[0].items[0].unit_price_fen"),
        (lambda b: b["items"][0].update(unit_price_fen="2500"), "bills[0].items[0].unit_price_fen"),
        (lambda b: b["items"][0].update(quantity=0), "bills[0].items[0].quantity"),
        (lambda b: b["items"][0].update(category="food"), "bills[0].items[0].category"),
        (lambda b: b["items"][0].update(name="x" * 10_000), "bills[0].items[0].name"),
        (lambda b: b["items"][0].update(extra=1), "bills[0].items[0].extra"),
        (lambda b: b.update(patient={}), "bills[0].patient"),
        (
            lambda b: b.update(
                patient={"system": "card_number", "value": "１２３４５６７８９０１２３４５２"}
            ),
            "bills[0].patient.value",
        ),
        (lambda b: b.update(patient={"system": "passport", "value": "E1234"}), "bills[0].patient"),
        (lambda b: b.update(patient={"card_number": "1234567890123452"}), "bills[0].patient"),
    ],
)
def test_bad_input_is_a_clear_4xx_naming_the_field_and_nothing_is_kept(
    client: PortalClient, family: Any, change: Any, field: str
) -> None:
    bill = lab_bill("MZ001", family["mother"]["card"])
    change(bill)
    response = send(client, bill)
    assert response.status_code in (400, 422), response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f == field or f.startswith(field) for f in fields), fields
    assert count(client, Bill) == 0


def test_repeats_and_amounts_beyond_any_bill_are_refused(client: PortalClient, family: Any) -> None:
    card = family["mother"]["card"]
    twice = lab_bill(
        "MZ001", card, item("1", "血常规", "lab_test", 2500), item("1", "尿常规", "lab_test", 900)
    )
    assert problems(send(client, twice)) == {"bills[0].items[1].line": "line 1 is sent twice"}
    assert (
        "sent more than once"
        in problems(send(client, lab_bill("MZ1", card), lab_bill("MZ1", card)))["bills[1].number"]
    )
    huge = lab_bill("MZ002", card, item("1", "进口药", "medicine", 100_000_000, quantity=10_000))
    assert "100000000 fen" in problems(send(client, huge))["bills[0].items[0]"]
    assert count(client, Bill) == 0


def test_only_a_client_holding_bills_write_may_send(client: PortalClient, family: Any) -> None:
    timetable_only = make_api_client(client, "Timetable HIS", ["timetable:write"])
    refused = send(client, lab_bill("MZ001", family["mother"]["card"]), token=timetable_only)
    assert refused.status_code == 403 and "bills:write" in refused.text
    assert (
        send(
            client, lab_bill("MZ001", family["mother"]["card"]), token="ymt_nobody_000000"
        ).status_code
        == 401
    )
    assert count(client, Bill) == 0


def test_every_bill_added_changed_or_voided_is_audited_under_its_client(
    client: PortalClient, family: Any
) -> None:
    send(client, lab_bill("MZ001", family["mother"]["card"]))
    void(client, "MZ001", "3")

    async def work(db: Any) -> list[tuple[str, str, str]]:
        rows = await db.execute(
            select(AuditEvent.actor_name, AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.action.like("bill.%"))
            .order_by(AuditEvent.created_at)
        )
        return [tuple(r) for r in rows]

    assert client.db(work) == [
        ("Test HIS", "bill.import", "MZ001: 7600 fen"),
        ("Test HIS", "bill.void", "MZ001: lines 3"),
    ]


def test_a_voided_line_stays_void_when_the_bill_is_sent_again(
    client: PortalClient, family: Any
) -> None:
    original = lab_bill("MZ001", family["mother"]["card"])
    send(client, original)
    void(client, "MZ001", "2")  # the liver test was cancelled
    assert send(client, original).json() == {"created": 0, "updated": 0, "unchanged": 1}
    (bill,) = bills(client)
    assert bill.total_cents == 2800 and {i.line: i.status for i in bill.items}["2"] == "void"
    # Every line voided: the bill is void, and sending it again changes nothing either.
    void(client, "MZ001", "1", "3")
    assert send(client, original).json()["unchanged"] == 1
    assert bills(client)[0].status == "void"
    # A new line on a void bill is a change to a bill that can no longer change.
    more = lab_bill("MZ001", family["mother"]["card"], item("9", "尿常规", "lab_test", 900))
    assert "is void: it can no longer change" in problems(send(client, more))["bills[0].number"]
