"""The family-members pages (/patients): list, add, correct, remove, and choose the current one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from portal.accounts.codes import OneTimeCodes
from portal.accounts.controllers.consent import ask_for_consent
from portal.accounts.controllers.phone import ask_old_phone
from portal.accounts.dependencies import (
    provide_account_service,
    provide_codes,
    provide_patient_service,
)
from portal.accounts.relationships import RELATIONSHIPS, Relationship
from portal.accounts.services import (
    AccountService,
    ConsentNeeded,
    PatientService,
    PhoneChangeNeedsConsent,
)
from portal.core.clock import Clock
from portal.core.errors import RuleError
from portal.web.auth import choose_patient, provide_account_id, requires_patient_login
from portal.web.forms import FormState, form_text
from portal.web.redirects import redirect_to, route_path, safe_next
from portal.web.shell import shell_of

dependencies = {
    "codes": Provide(provide_codes),
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
    "account_service": Provide(provide_account_service),
}
guards = [requires_patient_login]


def _member_form(data: Any) -> FormState:
    return FormState.read(data, {"name": 30, "id_number": 30, "phone": 20, "relationship": 16})


def _form_page(form: FormState, status: int = 200, **context: Any) -> Template:
    return Template(
        "accounts/patient_form.html",
        context={"form": form, "relationships": RELATIONSHIPS, **context},
        status_code=status,
    )


@get("/patients", name="patients", guards=guards, dependencies=dependencies)
async def family_page(
    account_id: NamedDependency[UUID], patient_service: NamedDependency[PatientService]
) -> Template:
    """Everyone this account manages, masked, with the current one marked."""
    family = await patient_service.family_of(account_id)
    return Template(
        "accounts/patients.html",
        context={"family": family, "limit": patient_service.max_per_account},
    )


@get("/patients/new", name="patient-new", guards=guards, dependencies=dependencies)
async def new_member_page(
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    first: FromQuery[bool] = False,
) -> Template:
    family = await patient_service.family_of(account_id)
    has_self = any(m.relationship == Relationship.SELF for m in family)
    suggested = Relationship.PARENT if has_self else Relationship.SELF
    return _form_page(FormState(values={"relationship": suggested}), member=None, first=first)


@post("/patients", name="patient-add", guards=guards, dependencies=dependencies)
async def add_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    account_service: NamedDependency[AccountService],
    codes: NamedDependency[OneTimeCodes],
    clock: NamedDependency[Clock],
) -> Template | Redirect:
    form = _member_form(await request.form())
    try:
        form.refuse_if_failed()
        member = await patient_service.add_member(account_id, today=clock.today(), **form.values)
    except ConsentNeeded as need:
        return await ask_for_consent(request, codes, account_service, account_id, need)
    except RuleError as exc:
        return _form_page(form.add(exc), 400, member=None, first=False)
    if not shell_of(request).patient_id or member.relationship == Relationship.SELF:
        choose_patient(request, member.id, member.patient.name)
    return redirect_to(request, "patients")


@get(
    "/patients/{patient_id:uuid}/edit",
    name="patient-edit",
    guards=guards,
    dependencies=dependencies,
)
async def edit_member_page(
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
) -> Template:
    """The one place a full name and ID number are shown unmasked: to correct them, by the account
    that added the person. Others who manage them see why they cannot change the details."""
    member = await patient_service.member_of(account_id, patient_id)
    if member.patient.registered_by not in (None, account_id):
        return Template("accounts/patient_shared.html", context={"member": member})
    form = FormState(
        values={
            "name": member.patient.name,
            "id_number": member.patient.id_number,
            "phone": member.patient.phone,
            "relationship": member.relationship,
        }
    )
    return _form_page(form, member=member, first=False)


@post(
    "/patients/{patient_id:uuid}/edit",
    name="patient-update",
    guards=guards,
    dependencies=dependencies,
)
async def update_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    account_service: NamedDependency[AccountService],
    codes: NamedDependency[OneTimeCodes],
    clock: NamedDependency[Clock],
) -> Template | Redirect:
    member = await patient_service.member_of(account_id, patient_id)
    form = _member_form(await request.form())
    try:
        form.refuse_if_failed()
        member = await patient_service.update_member(
            account_id, member.id, today=clock.today(), **form.values
        )
    except PhoneChangeNeedsConsent as need:
        return await ask_old_phone(
            request, codes, account_service, account_id, need, form.values, member.patient.name
        )
    except RuleError as exc:
        return _form_page(form.add(exc), 400, member=member, first=False)
    if shell_of(request).patient_id == str(member.id):
        choose_patient(request, member.id, member.patient.name)
    return redirect_to(request, "patients")


@get(
    "/patients/{patient_id:uuid}/remove",
    name="patient-remove-confirm",
    guards=guards,
    dependencies=dependencies,
)
async def remove_member_page(
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
) -> Template:
    """Ask once before removing: say plainly what removing does and does not do."""
    member = await patient_service.member_of(account_id, patient_id)
    return Template("accounts/patient_remove.html", context={"member": member})


@post(
    "/patients/{patient_id:uuid}/remove",
    name="patient-remove",
    guards=guards,
    dependencies=dependencies,
)
async def remove_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
) -> Redirect:
    await patient_service.remove_member(account_id, patient_id)
    if shell_of(request).patient_id == str(patient_id):
        family = await patient_service.family_of(account_id)
        first = family[0] if family else None
        choose_patient(request, first.id if first else None, first.patient.name if first else None)
    return redirect_to(request, "patients")


@post(
    "/patients/{patient_id:uuid}/choose",
    name="patient-choose",
    guards=guards,
    dependencies=dependencies,
)
async def choose_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
) -> Redirect:
    """Make a family member the current patient, then go back to where the switch was made."""
    member = await patient_service.member_of(account_id, patient_id)
    choose_patient(request, member.id, member.patient.name)
    form = await request.form()
    return Redirect(
        safe_next(form_text(form, "next"), route_path(request, "patients")), status_code=303
    )


route_handlers = [
    family_page,
    new_member_page,
    add_member,
    edit_member_page,
    update_member,
    remove_member_page,
    remove_member,
    choose_member,
]
