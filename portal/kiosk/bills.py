"""What the kiosk's answer to a scan offers to pay, and the pass that lets it: signed with the
secret key, good for this kiosk, this patient and a few minutes (the kiosk keeps nothing of the
patient between screens)."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.clock import Clock
from portal.core.errors import NotFound
from portal.core.i18n import gettext as _
from portal.payments import checkout
from portal.payments.insurance import settlement_from
from portal.settings import Settings

if TYPE_CHECKING:
    from portal.kiosk.controllers import Kiosk

PASS_SECONDS = 600
"""How long a scan's pass lets the kiosk pay for that patient."""


def pay_pass(secret: str, kiosk: Kiosk, patient_id: UUID, now: float | None = None) -> str:
    """``<patient>.<issued>.<signature>`` for this kiosk."""
    issued = str(int(now if now is not None else time.time()))
    return f"{patient_id}.{issued}.{_signature(secret, kiosk, str(patient_id), issued)}"


def _signature(secret: str, kiosk: Kiosk, patient: str, issued: str) -> str:
    message = f"kiosk-pay:{kiosk.id}:{patient}:{issued}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def read_pass(secret: str, kiosk: Kiosk, value: str) -> UUID:
    """The patient a pass names; NotFound for a pass that is not this kiosk's, is changed or is
    older than PASS_SECONDS (the patient scans again)."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit() or len(parts[1]) > 12:
        raise NotFound(_("Please scan your card again."))
    patient, issued, signature = parts
    expected = _signature(secret, kiosk, patient, issued)
    if not hmac.compare_digest(expected, signature) or time.time() - int(issued) > PASS_SECONDS:
        raise NotFound(_("Please scan your card again."))
    try:
        return UUID(patient)
    except ValueError as exc:
        raise NotFound(_("Please scan your card again.")) from exc


async def offer(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    kiosk: Kiosk,
    patient_id: UUID,
    clock: Clock,
    settings: Settings,
) -> dict[str, Any]:
    """What the scan's answer says of bills: how much is due and a pass to pay it."""
    bills, due = await checkout.amount_due(
        session, settlement_from(request.app.state), patient_id, clock.now().year
    )
    await session.commit()
    if not bills or due <= 0:
        return {"due_bills": [], "due_cents": 0, "pay_pass": None}
    return {
        "due_bills": bills,
        "due_cents": due,
        "pay_pass": pay_pass(settings.app.secret_key, kiosk, patient_id),
        "pay_key": checkout.new_key(),
    }
