"""Changing the phone of someone another account also manages: the hospital sends their consent
codes to that phone, so the phone that has the number now must agree (a code sent to it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.accounts.codes import CodeTooSoon, OneTimeCodes
from portal.accounts.controllers.consent import client_address, dependencies, guards
from portal.accounts.services import AccountService, PatientService, PhoneChangeNeedsConsent
from portal.core.clock import Clock
from portal.core.errors import RuleError
from portal.core.i18n import gettext as _
from portal.core.masking import mask_phone
from portal.web.auth import patient_actor
from portal.web.forms import FormState
from portal.web.redirects import redirect_to

PHONE_PENDING = "phone_change_pending"


def phone_purpose(patient_id: UUID, account_id: UUID, new_phone: str) -> str:
    """A code for this change only: this account, this patient, this new number."""
    change = hashlib.sha256(f"{account_id}:{new_phone}".encode()).hexdigest()[:16]
    return f"phone:{patient_id}:{change}"


async def _send_phone_code(
    request: Request[Any, Any, Any],
    codes: OneTimeCodes,
    accounts: AccountService,
    account_id: UUID,
    patient_id: UUID,
    old_phone: str,
    new_phone: str,
) -> None:
    tail = (await accounts.phone_of(account_id))[-4:]
    await codes.send(
        old_phone,
        phone_purpose(patient_id, account_id, new_phone),
        lambda code, minutes: _(
            "[Yimatong] The owner of the phone number ending in %(tail)s wants to change your phone "
            "number at the hospital to one ending in %(new)s. If you agree, give them this code: "
            "%(code)s (it works for %(minutes)d minutes). If you do not agree, ignore this message.",
            tail=tail,
            new=new_phone[-4:],
            code=code,
            minutes=minutes,
        ),
        client_address(request),
    )


@dataclass(frozen=True)
class PhoneChange:
    """A pending phone change as plain values (they outlive a rolled-back transaction)."""

    patient_id: UUID
    name: str
    old_phone: str
    values: dict[str, Any]


async def ask_old_phone(
    request: Request[Any, Any, Any],
    codes: OneTimeCodes,
    accounts: AccountService,
    account_id: UUID,
    need: PhoneChangeNeedsConsent,
    values: dict[str, Any],
    name: str,
) -> Template | Redirect:
    """Send the old phone a code and keep the corrected details until it is passed on. When
    that phone had a code a moment ago, the page says when it can have this one."""
    patient_id, old_phone = need.patient_id, need.old_phone
    request.set_session(
        {**(request.session or {}), PHONE_PENDING: {"patient": str(patient_id), "values": values}}
    )
    try:
        await _send_phone_code(
            request, codes, accounts, account_id, patient_id, old_phone, values["phone"]
        )
    except CodeTooSoon as exc:
        change = PhoneChange(patient_id, name, old_phone, values)
        return _phone_page(change, FormState().add(RuleError(exc.message)), sent=False)
    return redirect_to(request, "patient-phone-confirm", patient_id=patient_id)


def _phone_pending(request: Request[Any, Any, Any], patient_id: UUID) -> dict[str, Any] | None:
    pending = (request.session or {}).get(PHONE_PENDING)
    if not isinstance(pending, dict) or pending.get("patient") != str(patient_id):
        return None
    values = pending.get("values")
    return values if isinstance(values, dict) else None


async def _phone_change(
    request: Request[Any, Any, Any],
    account_id: UUID,
    patient_id: UUID,
    patients: PatientService,
) -> PhoneChange | None:
    member = await patients.member_of(account_id, patient_id)
    values = _phone_pending(request, member.id)
    if values is None:
        return None
    return PhoneChange(member.id, member.patient.name, member.patient.phone, values)


def _phone_page(
    change: PhoneChange, form: FormState, status: int = 200, *, sent: bool = True
) -> Template:
    return Template(
        "accounts/patient_phone.html",
        status_code=status,
        context={
            "sent": sent,
            "form": form,
            "patient_id": change.patient_id,
            "name": change.name,
            "old_phone": mask_phone(change.old_phone),
        },
    )


@get(
    "/patients/{patient_id:uuid}/phone",
    name="patient-phone-confirm",
    guards=guards,
    dependencies=dependencies,
)
async def phone_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
) -> Template | Redirect:
    change = await _phone_change(request, account_id, patient_id, patient_service)
    if change is None:
        return redirect_to(request, "patients")
    return _phone_page(change, FormState())


@post(
    "/patients/{patient_id:uuid}/phone",
    name="patient-phone-confirm-submit",
    guards=guards,
    dependencies=dependencies,
)
async def phone_confirm(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    codes: NamedDependency[OneTimeCodes],
    clock: NamedDependency[Clock],
) -> Template | Redirect:
    """The code from the old phone: its owner agreed, and the corrected details are saved."""
    change = await _phone_change(request, account_id, patient_id, patient_service)
    if change is None:
        return redirect_to(request, "patients")
    form = FormState.read(await request.form(), {"code": 12})
    try:
        form.refuse_if_failed()
        await codes.check(
            change.old_phone,
            phone_purpose(change.patient_id, account_id, change.values["phone"]),
            form.value("code"),
        )
        await patient_service.update_member(
            account_id,
            change.patient_id,
            today=clock.today(),
            old_phone_agreed_for=patient_actor(request, account_id),
            **change.values,
        )
    except RuleError as exc:
        return _phone_page(change, form.add(exc), 400)
    session = dict(request.session or {})
    session.pop(PHONE_PENDING, None)
    request.set_session(session)
    return redirect_to(request, "patients")


@post(
    "/patients/{patient_id:uuid}/phone/resend",
    name="patient-phone-confirm-resend",
    guards=guards,
    dependencies=dependencies,
)
async def phone_resend(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    account_service: NamedDependency[AccountService],
    codes: NamedDependency[OneTimeCodes],
) -> Template | Redirect:
    change = await _phone_change(request, account_id, patient_id, patient_service)
    if change is None:
        return redirect_to(request, "patients")
    try:
        await _send_phone_code(
            request,
            codes,
            account_service,
            account_id,
            change.patient_id,
            change.old_phone,
            change.values["phone"],
        )
    except RuleError as exc:
        return _phone_page(change, FormState().add(RuleError(exc.message)), 400)
    return redirect_to(request, "patient-phone-confirm", patient_id=change.patient_id)


route_handlers = [phone_page, phone_confirm, phone_resend]
