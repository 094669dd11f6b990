"""Paying through the sandbox gateway from a test client: the pay form, the sandbox's payer
page, its postman and the payments follow-up, each run when the test says."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from portal.payments.tasks import FollowUp, follow_up
from portal.paysandbox.deliveries import deliver_due
from portal.paysandbox.services import Chaos, Platform, keys_of, set_chaos
from tests.support.client import PortalClient

KEY_FIELD = re.compile(r'name="key" value="([^"]+)"')


def form_key(page: str) -> str:
    match = KEY_FIELD.search(page)
    assert match, "the page has no payment form"
    return match.group(1)


def start(client: PortalClient, patient_id: str, bill_id: str | None = None, key: str = "") -> Any:
    """Tap pay (on /bills for everything, or on a bill's page): the answer is the redirect."""
    page = client.get(f"/bills/{bill_id}" if bill_id else "/bills").text
    data = {"patient": patient_id, "key": key or form_key(page)}
    if bill_id:
        data["bill"] = bill_id
    return client.submit("/bills/pay", data)


def checkout_of(answer: Any) -> tuple[str, str]:
    """The sandbox payer page a pay redirect leads to, and where it returns."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    parts = urlsplit(location)
    assert parts.path.startswith("/dev/pay/checkout/"), location
    back = urlsplit(parse_qs(parts.query)["redirect_url"][0]).path
    return parts.path, back


def payer(client: PortalClient, checkout: str, action: str, back: str | None = None) -> Any:
    data = {"action": action}
    if back:
        data["redirect_url"] = back
    return client.submit(checkout, data)


def pay_through(client: PortalClient, patient_id: str, bill_id: str | None = None) -> str:
    """Tap pay and pay on the sandbox's page: the return page's address."""
    checkout, back = checkout_of(start(client, patient_id, bill_id))
    answer = payer(client, checkout, "pay", back)
    assert answer.status_code == 303 and answer.headers["location"] == back, answer.text
    return back


def deliver(client: PortalClient) -> int:
    """One round of the sandbox's postman (refunds in progress end, notifications go out)."""
    assert client.blocking_portal is not None
    return int(client.blocking_portal.call(deliver_due, client.app))


def follow(client: PortalClient, older_than_seconds: int = 0) -> FollowUp:
    assert client.blocking_portal is not None

    async def run() -> FollowUp:
        return await follow_up(client.app, older_than_seconds=older_than_seconds)

    return client.blocking_portal.call(run)


def misbehave(client: PortalClient, **chaos: Any) -> None:
    async def work(session: Any) -> None:
        await set_chaos(session, Chaos(**chaos))

    client.db(work)


def platform(client: PortalClient) -> Platform:
    async def run() -> Platform:
        state = client.app.state
        return await keys_of(state).platform(state.db_sessions)

    assert client.blocking_portal is not None
    return client.blocking_portal.call(run)
