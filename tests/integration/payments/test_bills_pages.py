"""The family's bills (手机缴费): unpaid first with what each person owes, each bill's lines, and
nobody else's bills."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal.payments.models import Bill
from portal.settings import Settings, get_settings
from tests.integration.booking.test_import_api import invoke
from tests.integration.payments.conftest import item, lab_bill, send, void
from tests.support.client import PortalClient


def bill_id(client: PortalClient, number: str) -> str:
    async def work(db: Any) -> str:
        return str(await db.scalar(select(Bill.id).where(Bill.number == number)))

    return client.db(work)


def test_unpaid_bills_come_first_with_what_each_person_owes(
    client: PortalClient, family: Any
) -> None:
    assert "没有待缴费用。" in client.get("/bills").text
    send(
        client,
        lab_bill("MZ001", family["mother"]["card"]),
        lab_bill("MZ002", family["self"]["card"], item("1", "胸部CT", "examination", 24000)),
        lab_bill(
            "MZ003",
            family["mother"]["card"],
            item("1", "阿托伐他汀钙片", "medicine", 3290, quantity=2),
        ),
    )
    void(client, "MZ002", "1")  # the CT was cancelled: nothing to pay on that bill
    page = client.get("/bills").text
    assert "¥141.80" in page  # 76.00 + 65.80, the total to pay
    assert "王*英：待缴 ¥141.80" in page
    assert "李*：待缴" not in page  # she owes nothing
    unpaid, settled = page.split("已缴费和已作废的单据")
    assert "检验费 · 心血管内科" in unpaid and "已作废（无需缴费）" in settled


def test_one_family_members_bills(client: PortalClient, family: Any) -> None:
    send(
        client,
        lab_bill("MZ001", family["mother"]["card"]),
        lab_bill("MZ002", family["self"]["card"]),
    )
    mine = client.get(f"/bills?patient={family['self']['id']}").text
    assert mine.count('class="bill-card') == 1 and "就诊人：李*" in mine
    assert client.get("/bills?patient=00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/bills?patient=not-an-id").status_code == 404


def test_a_bill_shows_each_line_and_what_is_left_to_pay(client: PortalClient, family: Any) -> None:
    send(client, lab_bill("MZ001", family["mother"]["card"]))
    void(client, "MZ001", "2")
    page = client.get(f"/bills/{bill_id(client, 'MZ001')}").text
    for words in (
        "血常规",
        "检验 · 1 × ¥25.00",
        "采血针",
        "材料 · 2 × ¥1.50",
        "MZ001",
        "已作废：不收费",
    ):
        assert words in page, words
    assert "<s>¥48.00</s>" in page  # the voided line, struck and said in words
    assert '<strong class="amount">¥28.00</strong>' in page
    assert client.submit("/settings/language", {"locale": "en", "next": "/"}).status_code == 303
    english = client.get(f"/bills/{bill_id(client, 'MZ001')}").text
    assert "Lab test · 1 × ¥25.00" in english and "Void: not charged" in english


def test_nobody_sees_another_familys_bill(client: PortalClient, family: Any) -> None:
    send(client, lab_bill("MZ001", family["mother"]["card"]))
    theirs = bill_id(client, "MZ001")
    client.cookies.clear()
    client.log_in("13700000999")
    assert client.get(f"/bills/{theirs}").status_code == 404
    assert "MZ001" not in client.get("/bills").text
    assert client.get("/bills/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_bills_need_a_login(client: PortalClient) -> None:
    response = client.get("/bills", follow_redirects=False)
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]


def test_the_command_line_imports_a_bills_file(
    client: PortalClient, family: Any, settings: Settings, tmp_path: Path, monkeypatch: Any
) -> None:
    from portal.__main__ import cli

    path = tmp_path / "bills.json"
    path.write_text(
        json.dumps({"bills": [lab_bill("MZ001", family["mother"]["card"])]}), encoding="utf-8"
    )
    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.db.url)
    get_settings.cache_clear()
    try:
        result = invoke(cli, ["import-bills", str(path)])
        again = invoke(cli, ["import-bills", str(path)])
        bad = tmp_path / "bad.json"
        bad.write_text('{"bills": [{"number": "MZ 9"}]}', encoding="utf-8")
        refused = invoke(cli, ["import-bills", str(bad)])
        unknown = tmp_path / "unknown.json"
        unknown.write_text(
            json.dumps({"bills": [lab_bill("MZ002", "1234567890123452")]}), encoding="utf-8"
        )
        stranger = invoke(cli, ["import-bills", str(unknown)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0 and "bills: 1 new, 0 updated, 0 unchanged" in result.output
    assert again.exit_code == 0 and "0 new, 0 updated, 1 unchanged" in again.output
    assert refused.exit_code != 0 and "not a valid bills file" in refused.output
    assert stranger.exit_code != 0 and "bills[0].patient: no patient" in stranger.output


def test_the_bills_page_is_kept_and_shows_every_change_next(
    client: PortalClient, family: Any
) -> None:
    from tests.support.statements import Asked

    send(client, lab_bill("MZ001", family["mother"]["card"]))
    assert "王*英：待缴 ¥76.00" in client.get("/bills").text
    with Asked(client) as asked:
        assert "王*英：待缴 ¥76.00" in client.get("/bills").text
    assert asked == [], "a second view of unchanged bills should ask the database nothing"
    void(client, "MZ001", "2")  # the hospital voids a line
    assert "王*英：待缴 ¥28.00" in client.get("/bills").text
    response = client.submit(
        f"/bills/insurance/{family['mother']['id']}", {"scheme": "urban_rural_resident"}
    )
    assert response.status_code == 303
    # 甲/乙/丙 as sent: all class C (the default), so insurance pays nothing even now.
    assert "城乡居民医保" in client.get("/bills").text
    send(
        client,
        lab_bill(
            "MZ002",
            family["mother"]["card"],
            item("1", "心电图", "examination", 2500) | {"insurance_class": "A"},
        ),
    )
    assert "王*英：待缴 ¥40.50" in client.get("/bills").text  # 28.00 + 25.00 − 12.50
