"""Adding someone the hospital already knows: they agree by passing on a code sent to the phone
the hospital has for them. Without it, anyone who knew a name and an ID number could take over
that person's card, appointments and reports."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from portal.accounts.codes import CodeTooSoon, OneTimeCodes
from portal.accounts.dependencies import (
    provide_account_service,
    provide_codes,
    provide_patient_service,
)
from portal.accounts.relationships import Relationship
from portal.accounts.services import AccountService, ConsentNeeded, PatientService
from portal.core.errors import RuleError
from portal.core.i18n import gettext as _
from portal.core.masking import mask_phone
from portal.web.auth import choose_patient, provide_account_id, requires_patient_login
from portal.web.forms import FormState
from portal.web.redirects import redirect_to
from portal.web.shell import shell_of

PENDING = "link_pending"
dependencies = {
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
    "codes": Provide(provide_codes),
    "account_service": Provide(provide_account_service),
}
guards = [requires_patient_login]


def purpose(patient_id: UUID | str, account_id: UUID | str) -> str:
    return f"link:{patient_id}:{account_id}"


def client_address(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


async def _send_code(
    request: Request[Any, Any, Any],
    codes: OneTimeCodes,
    accounts: AccountService,
    account_id: UUID,
    patient_id: UUID,
    patient_phone: str,
) -> None:
    tail = (await accounts.phone_of(account_id))[-4:]
    await codes.send(
        patient_phone,
        purpose(patient_id, account_id),
        lambda code, minutes: _(
            "[Yimatong] The owner of the phone number ending in %(tail)s wants to add you as a family member "
            "to help with your hospital visits. If you agree, give them this code: %(code)s (it works for "
            "%(minutes)d minutes). If you do not know them, ignore this message.",
            tail=tail,
            code=code,
            minutes=minutes,
        ),
        client_address(request),
    )


async def ask_for_consent(
    request: Request[Any, Any, Any],
    codes: OneTimeCodes,
    accounts: AccountService,
    account_id: UUID,
    need: ConsentNeeded,
) -> Redirect:
    """Send the patient a code and remember what the account asked for; then ask for the code."""
    # Plain values first: a refused send rolls the session back, which expires loaded objects.
    patient_id, patient_phone, relationship = need.patient.id, need.patient.phone, need.relationship
    with contextlib.suppress(CodeTooSoon):  # a code went out a moment ago: the next page asks
        await _send_code(request, codes, accounts, account_id, patient_id, patient_phone)
    request.set_session(
        {
            **(request.session or {}),
            PENDING: {"patient": str(patient_id), "relationship": str(relationship)},
        }
    )
    return redirect_to(request, "patient-confirm")


@dataclass(frozen=True)
class Pending:
    """Who the account asked to add, as plain values (they outlive a rolled-back transaction)."""

    patient_id: UUID
    name: str
    phone: str
    relationship: Relationship


async def _pending(request: Request[Any, Any, Any], patients: PatientService) -> Pending | None:
    pending = (request.session or {}).get(PENDING)
    if not isinstance(pending, dict):
        return None
    patient = await patients.patient(UUID(pending["patient"]))
    if patient is None:
        return None
    return Pending(
        patient.id, patient.name, patient.phone, Relationship.of(pending["relationship"])
    )


def _page(pending: Pending, form: FormState, status: int = 200) -> Template:
    return Template(
        "accounts/patient_confirm.html",
        status_code=status,
        context={"form": form, "name": pending.name, "phone": mask_phone(pending.phone)},
    )


@get("/patients/confirm", name="patient-confirm", guards=guards, dependencies=dependencies)
async def confirm_page(
    request: Request[Any, Any, Any], patient_service: NamedDependency[PatientService]
) -> Template | Redirect:
    pending = await _pending(request, patient_service)
    if pending is None:
        return redirect_to(request, "patients")
    return _page(pending, FormState())


@post("/patients/confirm", name="patient-confirm-submit", guards=guards, dependencies=dependencies)
async def confirm(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    codes: NamedDependency[OneTimeCodes],
) -> Template | Redirect:
    """The code from the patient's phone: they agree, and the account manages them too."""
    pending = await _pending(request, patient_service)
    if pending is None:
        return redirect_to(request, "patients")
    form = FormState.read(await request.form(), {"code": 12})
    try:
        form.refuse_if_failed()
        await codes.check(
            pending.phone, purpose(pending.patient_id, account_id), form.value("code")
        )
        member = await patient_service.link_existing(
            account_id, pending.patient_id, pending.relationship
        )
    except RuleError as exc:
        return _page(pending, form.add(exc), 400)
    session = dict(request.session or {})
    session.pop(PENDING, None)
    request.set_session(session)
    if not shell_of(request).patient_id:
        choose_patient(request, member.id, member.patient.name)
    return redirect_to(request, "patients")


@post(
    "/patients/confirm/resend",
    name="patient-confirm-resend",
    guards=guards,
    dependencies=dependencies,
)
async def resend(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    account_service: NamedDependency[AccountService],
    codes: NamedDependency[OneTimeCodes],
) -> Template | Redirect:
    pending = await _pending(request, patient_service)
    if pending is None:
        return redirect_to(request, "patients")
    try:
        await _send_code(
            request, codes, account_service, account_id, pending.patient_id, pending.phone
        )
    except RuleError as exc:
        return _page(pending, FormState().add(RuleError(exc.message)), 400)
    return redirect_to(request, "patient-confirm")


route_handlers = [confirm_page, confirm, resend]
