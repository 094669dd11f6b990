"""Adding someone the hospital already knows: they agree by passing on a code sent to the phone
the hospital has for them. Without it, anyone who knew a name and an ID number could take over
that person's card, appointments and reports."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from portal.accounts.codes import OneTimeCodes
from portal.accounts.dependencies import provide_codes, provide_patient_service
from portal.accounts.models import Account, Patient
from portal.accounts.services import ConsentNeeded, PatientService
from portal.web.auth import choose_patient, provide_account_id, requires_patient_login
from portal.web.forms import FormState, RuleError, form_text
from portal.web.i18n import gettext as _
from portal.web.masking import mask_phone

PENDING = "link_pending"
dependencies = {
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
    "codes": Provide(provide_codes),
}


def purpose(patient_id: UUID | str, account_id: UUID | str) -> str:
    return f"link:{patient_id}:{account_id}"


async def _send_code(
    request: Request[Any, Any, Any], codes: OneTimeCodes, account_id: UUID, patient: Patient
) -> None:
    account = await codes.session.get_one(Account, account_id)
    tail = account.phone[-4:]
    address = request.client.host if request.client else None
    await codes.send(
        patient.phone,
        purpose(patient.id, account_id),
        lambda code, minutes: _(
            "[Yimatong] The owner of the phone number ending in %(tail)s wants to add you as a family member "
            "to help with your hospital visits. If you agree, give them this code: %(code)s (it works for "
            "%(minutes)d minutes). If you do not know them, ignore this message.",
            tail=tail,
            code=code,
            minutes=minutes,
        ),
        address,
    )


async def ask_for_consent(
    request: Request[Any, Any, Any], codes: OneTimeCodes, account_id: UUID, need: ConsentNeeded
) -> Redirect:
    """Send the patient a code and remember what the account asked for; then ask for the code."""
    with contextlib.suppress(RuleError):  # a code went out a moment ago: the next page asks for it
        await _send_code(request, codes, account_id, need.patient)
    request.set_session(
        {
            **(request.session or {}),
            PENDING: {"patient": str(need.patient.id), "relationship": need.relationship},
        }
    )
    return Redirect("/patients/confirm", status_code=303)


async def _pending(
    request: Request[Any, Any, Any], patients: PatientService
) -> tuple[Patient, str] | None:
    pending = (request.session or {}).get(PENDING)
    if not isinstance(pending, dict):
        return None
    patient = await patients.repository.session.get(Patient, UUID(pending["patient"]))
    return (patient, pending["relationship"]) if patient else None


@get(
    "/patients/confirm",
    name="patient-confirm",
    guards=[requires_patient_login],
    dependencies=dependencies,
)
async def confirm_page(
    request: Request[Any, Any, Any], patient_service: NamedDependency[PatientService]
) -> Template | Redirect:
    pending = await _pending(request, patient_service)
    if pending is None:
        return Redirect("/patients", status_code=303)
    return Template(
        "accounts/patient_confirm.html",
        context={"form": FormState(), "patient": pending[0], "phone": mask_phone(pending[0].phone)},
    )


@post(
    "/patients/confirm",
    name="patient-confirm-submit",
    guards=[requires_patient_login],
    dependencies=dependencies,
)
async def confirm(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    codes: NamedDependency[OneTimeCodes],
) -> Template | Redirect:
    """The code from the patient's phone: they agree, and the account manages them too."""
    pending = await _pending(request, patient_service)
    if pending is None:
        return Redirect("/patients", status_code=303)
    patient, relationship = pending
    data = await request.form()
    form = FormState(values={"code": form_text(data, "code", 12)})
    try:
        await codes.check(patient.phone, purpose(patient.id, account_id), form.value("code"))
        member = await patient_service.link_existing(account_id, patient.id, relationship)
    except RuleError as exc:
        return Template(
            "accounts/patient_confirm.html",
            status_code=400,
            context={"form": form.add(exc), "patient": patient, "phone": mask_phone(patient.phone)},
        )
    session = dict(request.session or {})
    session.pop(PENDING, None)
    request.set_session(session)
    if not (request.session or {}).get("patient_id"):
        choose_patient(request, member.id, member.patient.name)
    return Redirect("/patients", status_code=303)


@post(
    "/patients/confirm/resend",
    name="patient-confirm-resend",
    guards=[requires_patient_login],
    dependencies=dependencies,
)
async def resend(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    codes: NamedDependency[OneTimeCodes],
) -> Template | Redirect:
    pending = await _pending(request, patient_service)
    if pending is None:
        return Redirect("/patients", status_code=303)
    try:
        await _send_code(request, codes, account_id, pending[0])
    except RuleError as exc:
        return Template(
            "accounts/patient_confirm.html",
            status_code=400,
            context={
                "form": FormState().add(RuleError(exc.message)),
                "patient": pending[0],
                "phone": mask_phone(pending[0].phone),
            },
        )
    return Redirect("/patients/confirm", status_code=303)


route_handlers = [confirm_page, confirm, resend]
