"""The lobby kiosk: set up by a nurse, scanned by patients, forgetting each one."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.clock import FrozenClock
from portal.core.touchpoints import Role, Touchpoint
from portal.payments.models import PayOrder
from tests.conftest import StillClock
from tests.integration.payments.conftest import lab_bill, send
from tests.support.cards import card_of, deactivate_staff, live_code, make_staff, staff_login
from tests.support.client import PortalClient
from tests.support.people import id_number
from tests.support.queue import add_patient, as_nurse, book, tickets, todays_clinic

YOUNG = ("李静", id_number(date(1976, 5, 12), 42))
OLD = ("王秀英", id_number(date(1944, 3, 15), 28))


@pytest.fixture
def clinic(client: PortalClient) -> PortalClient:
    todays_clinic(client)
    client.log_in("13700000001")
    add_patient(client, YOUNG[0], YOUNG[1], "self")
    add_patient(client, OLD[0], OLD[1])
    return client


@pytest.fixture
def kiosk(clinic: PortalClient) -> PortalClient:
    """The same browser, turned into a kiosk by the nurse (the patient's login is gone too)."""
    as_nurse(clinic)
    response = clinic.submit("/staff/kiosk", {"name": "门诊大厅 1 号机"})
    assert response.status_code == 303 and response.headers["location"] == "/kiosk"
    return clinic


def kiosk_scan(client: PortalClient, code: str) -> Any:
    return client.submit("/kiosk", {"code": code})


def ticket_number(page: str) -> str:
    match = re.search(r'class="ticket-number kiosk-number"[^>]*>([A-Z]\d{3})<', page)
    assert match, page
    return match.group(1)


def audit(client: PortalClient, action: str) -> list[AuditEvent]:
    async def work(db: Any) -> list[AuditEvent]:
        return list(await db.scalars(select(AuditEvent).where(AuditEvent.action == action)))

    return client.db(work)


def test_a_screen_that_is_not_a_kiosk_checks_no_one_in(clinic: PortalClient) -> None:
    book(clinic, YOUNG[0], 4)
    page = clinic.get("/kiosk")
    assert page.status_code == 403 and "/staff/login?next=/staff/kiosk" in page.text
    code = live_code(clinic, card_of(clinic, YOUNG[0]))
    assert kiosk_scan(clinic, code).status_code == 403
    assert not tickets(clinic)


def test_only_desk_nurses_and_admins_set_kiosks_up(clinic: PortalClient) -> None:
    # A patient is sent to the staff login.
    response = clinic.get("/staff/kiosk", follow_redirects=False)
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["location"]
    make_staff(clinic, "pharmacist", Role.PHARMACIST, [Touchpoint.PHARMACY])
    staff_login(clinic, "pharmacist")
    assert clinic.get("/staff/kiosk").status_code == 403
    assert clinic.submit("/staff/kiosk", {"name": "x"}).status_code == 403
    assert clinic.get("/kiosk").status_code == 403


def test_setting_up_ends_the_staff_login_and_is_audited(kiosk: PortalClient) -> None:
    assert kiosk.get("/kiosk").status_code == 200
    staff_page = kiosk.get("/staff", follow_redirects=False)
    assert staff_page.status_code in (302, 303)
    assert kiosk.get("/queue", follow_redirects=False).status_code in (302, 303)  # no patient
    (event,) = audit(kiosk, "kiosk.set_up")
    assert event.actor_kind == "staff" and "门诊大厅 1 号机" in (event.detail or "")


def test_a_kiosk_needs_a_name(clinic: PortalClient) -> None:
    as_nurse(clinic)
    response = clinic.submit("/staff/kiosk", {"name": "  "})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.text


def test_scanning_the_live_code_checks_in_and_clears_itself(kiosk: PortalClient) -> None:
    book(kiosk, YOUNG[0], 4)  # 09:00, the frozen clock's time
    response = kiosk_scan(kiosk, live_code(kiosk, card_of(kiosk, YOUNG[0])))
    assert response.status_code == 200
    page = response.text
    assert 'data-outcome="accepted"' in page and ticket_number(page) == "A001"
    assert "305 诊室" in page and "李*" in page and "李静" not in page
    assert '<noscript><meta http-equiv="refresh" content="20;url=/kiosk/done"></noscript>' in page
    assert 'data-reset-after="20"' in page
    assert response.headers["cache-control"] == "no-store"
    (ticket,) = tickets(kiosk)
    assert ticket.number == "A001" and ticket.status == "waiting"
    (event,) = [e for e in audit(kiosk, "scan") if e.touchpoint == Touchpoint.KIOSK.value]
    assert event.actor_kind == "kiosk" and "门诊大厅 1 号机" in event.actor_name
    assert event.outcome == "accepted"


def test_a_printed_card_checks_in_and_twice_gives_the_same_number(kiosk: PortalClient) -> None:
    book(kiosk, OLD[0], 4)
    number = card_of(kiosk, OLD[0]).card_number
    first = kiosk_scan(kiosk, number).text
    again = kiosk_scan(kiosk, number).text
    assert ticket_number(first) == ticket_number(again) == "A001"
    assert len(tickets(kiosk)) == 1
    assert "您已经签到过了" in again and "您已经签到过了" not in first


def test_refusals_say_what_to_do(kiosk: PortalClient) -> None:
    young = card_of(kiosk, YOUNG[0])
    # No appointment today: the patient is named (masked) and told where to go.
    page = kiosk_scan(kiosk, young.card_number).text
    assert 'data-outcome="refused"' in page and "李*" in page and not tickets(kiosk)
    # A code from ten minutes ago, and something that is not a card at all.
    old = kiosk.app.state.clock.now().timestamp() - 600
    expired = kiosk_scan(kiosk, live_code(kiosk, young, at=old)).text
    assert 'data-outcome="refused"' in expired and "李*" not in expired
    nonsense = kiosk_scan(kiosk, "HELLO").text
    assert 'data-outcome="refused"' in nonsense
    assert (
        expired.split('id="answer-title">')[1][:20] != nonsense.split('id="answer-title">')[1][:20]
    )


def test_done_forgets_the_language_the_last_patient_chose(kiosk: PortalClient) -> None:
    kiosk.submit("/settings/language", {"locale": "en", "next": "/kiosk"})
    assert 'lang="en"' in kiosk.get("/kiosk").text
    response = kiosk.get("/kiosk/done", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/kiosk"
    page = kiosk.get("/kiosk").text
    assert 'lang="zh-Hans"' in page and 'class="elder"' in page


def test_a_login_made_on_the_kiosk_ends_at_the_next_kiosk_page(kiosk: PortalClient) -> None:
    # Someone follows an error page's link into the patient site and logs in on the kiosk.
    kiosk.log_in("13700000002")
    assert kiosk.get("/queue", follow_redirects=False).status_code == 200
    assert kiosk.get("/kiosk").status_code == 200
    assert kiosk.get("/queue", follow_redirects=False).status_code in (302, 303)
    assert kiosk.get("/kiosk").status_code == 200  # still a kiosk


def test_done_changes_nothing_outside_a_kiosk(clinic: PortalClient) -> None:
    response = clinic.get("/kiosk/done", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "set-cookie" not in response.headers or "ymt_mode" not in response.headers["set-cookie"]


def test_a_kiosk_ends_with_the_account_of_the_nurse_who_set_it_up(kiosk: PortalClient) -> None:
    deactivate_staff(kiosk, "nurse")
    assert kiosk.get("/kiosk").status_code == 403


def test_a_kiosk_is_set_up_again_after_a_month(
    kiosk: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from portal.kiosk import controllers

    assert kiosk.get("/kiosk").status_code == 200
    later = time.time() + (controllers.KIOSK_MAX_DAYS + 1) * 86400
    monkeypatch.setattr(controllers.time, "time", lambda: later)
    assert kiosk.get("/kiosk").status_code == 403


def test_an_admin_may_set_up_a_kiosk_and_a_doctor_may_not(clinic: PortalClient) -> None:
    make_staff(clinic, "doctor", Role.DOCTOR, [Touchpoint.CLINIC])
    staff_login(clinic, "doctor")
    assert clinic.get("/staff/kiosk").status_code == 403
    make_staff(clinic, "admin", Role.ADMIN, [])
    staff_login(clinic, "admin")
    assert clinic.get("/staff/kiosk").status_code == 200
    assert clinic.submit("/staff/kiosk", {"name": "二楼自助机"}).status_code == 303


def test_the_answer_is_for_the_patient_and_never_cached(kiosk: PortalClient) -> None:
    assert kiosk.get("/kiosk").headers["cache-control"] == "no-store"
    page = kiosk_scan(kiosk, card_of(kiosk, YOUNG[0]).card_number)
    assert page.headers["cache-control"] == "no-store"
    assert "没有查到您今天的预约" in page.text and "挂号窗口" in page.text
    assert "The patient can book" not in page.text and "可在挂号" not in page.text


def test_a_kiosk_scanning_too_fast_is_slowed_down(
    kiosk: PortalClient, limiter_clock: StillClock
) -> None:
    from portal.kiosk.controllers import SCANS_PER_MINUTE

    for _ in range(SCANS_PER_MINUTE):
        assert "请稍等" not in kiosk_scan(kiosk, "NOT-A-CARD").text
    assert "请稍等" in kiosk_scan(kiosk, "NOT-A-CARD").text


def test_the_patient_pays_at_the_kiosk_with_the_phone_and_prints_the_slip(
    kiosk: PortalClient, clock: FrozenClock
) -> None:
    book(kiosk, YOUNG[0], 4)
    card = card_of(kiosk, YOUNG[0]).card_number
    assert send(kiosk, lab_bill("KIOSK-1", card, title="检验费 · 心血管内科")).status_code == 200
    page = kiosk_scan(kiosk, live_code(kiosk, card_of(kiosk, YOUNG[0]))).text
    offer = re.search(r'name="pass" value="([^"]+)".*?name="key" value="([^"]+)"', page, re.S)
    assert offer and 'action="/kiosk/pay"' in page, page
    pay_pass, key = offer.groups()
    screen = kiosk.submit("/kiosk/pay", {"pass": pay_pass, "key": key})
    assert screen.status_code == 200 and "<svg" in screen.text and 'class="kiosk-qr"' in screen.text
    assert screen.headers["cache-control"] == "no-store"
    order_id = re.search(r"/kiosk/pay/([0-9a-f-]{36})\?value=", screen.text)
    assert order_id
    status = f"/kiosk/pay/{order_id[1]}?value={pay_pass}"
    assert 'data-outcome="paid"' not in kiosk.get(status).text
    # The patient's phone scans the QR code: the sandbox's payer page, paid there.
    checkout = re.search(r"/dev/pay/checkout/(wx[0-9a-f]+)", _qr_target(kiosk, order_id[1]))
    assert checkout
    assert kiosk.submit(f"/dev/pay/checkout/{checkout[1]}", {"action": "pay"}).status_code == 200
    assert 'data-outcome="paid"' not in kiosk.get(status).text  # asked a moment ago: not again
    clock.advance(seconds=3)
    done = kiosk.get(status).text
    assert 'data-outcome="paid"' in done and "data-print" in done
    assert "检验科" in done and "¥76.00" in done  # what to do next, and what was paid
    # A pass that was changed, or one for nobody, is refused.
    assert kiosk.get(status.replace(pay_pass[:8], "00000000")).status_code == 404
    assert kiosk.submit("/kiosk/pay", {"pass": pay_pass + "0", "key": key}).status_code == 404


def _qr_target(client: PortalClient, order_id: str) -> str:
    """What the kiosk's QR code holds (the order's Native code URL)."""

    async def work(db: Any) -> str:
        order = await db.get(PayOrder, UUID(order_id))
        return str(order.pay_url)

    return client.db(work)
