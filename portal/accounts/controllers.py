"""Login by SMS code, logout, and the family-members pages."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from portal.accounts.codes import OneTimeCodes
from portal.accounts.consent import ask_for_consent
from portal.accounts.consent import route_handlers as consent_handlers
from portal.accounts.dependencies import (
    provide_account_service,
    provide_codes,
    provide_login_service,
    provide_patient_service,
)
from portal.accounts.services import RELATIONSHIPS, ConsentNeeded, LoginService, PatientService
from portal.web import tiles
from portal.web.auth import (
    choose_patient,
    log_in,
    log_out,
    provide_account_id,
    requires_patient_login,
)
from portal.web.forms import FormState, RuleError, form_text
from portal.web.i18n import gettext as _
from portal.web.i18n import lazy_gettext
from portal.web.redirects import safe_next
from portal.web.shell import shell_of
from portal.web.tiles import Tile

LOGIN_PHONE = "login_phone"
LOGIN_NEXT = "login_next"


def _client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def _over_limit(
    request: Request[Any, Any, Any], action: str, limit: int, window: int
) -> bool:
    return not await request.app.state.rate_limiter.hit(
        f"{action}:{_client_address(request)}", limit, window
    )


@get("/login", name="login")
async def login_page(
    request: Request[Any, Any, Any],
    next_: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template | Redirect:
    """Step 1: the phone number."""
    if shell_of(request).logged_in:
        return Redirect(safe_next(next_), status_code=303)
    return Template(
        "accounts/login_phone.html", context={"form": FormState(values={"next": safe_next(next_)})}
    )


@post(
    "/login/code", name="login-code", dependencies={"login_service": Provide(provide_login_service)}
)
async def request_code(
    request: Request[Any, Any, Any], login_service: NamedDependency[LoginService]
) -> Template | Redirect:
    """Send a code, then ask for it. Wrong input shows the form again with what was typed."""
    data = await request.form()
    form = FormState(
        values={"phone": form_text(data, "phone", 20), "next": safe_next(form_text(data, "next"))}
    )
    limits = request.app.state.settings.login
    try:
        if await _over_limit(request, "code", limits.requests_per_address_per_hour, 3600):
            raise RuleError(
                _("Too many codes were asked for from this network. Please try again later."),
                "phone",
            )
        phone = await login_service.request_code(form.value("phone"), _client_address(request))
    except RuleError as exc:
        return Template(
            "accounts/login_phone.html", context={"form": form.add(exc)}, status_code=400
        )
    request.set_session(
        {**(request.session or {}), LOGIN_PHONE: phone, LOGIN_NEXT: form.value("next")}
    )
    return Redirect("/login/verify", status_code=303)


@get("/login/verify", name="login-verify")
async def verify_page(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Step 2: the 6-digit code."""
    phone = (request.session or {}).get(LOGIN_PHONE)
    if not phone:
        return Redirect("/login", status_code=303)
    return Template("accounts/login_code.html", context={"form": FormState(), "phone": phone})


@post(
    "/login/verify",
    name="login-verify-submit",
    dependencies={
        "login_service": Provide(provide_login_service),
        "patient_service": Provide(provide_patient_service),
    },
)
async def verify_code(
    request: Request[Any, Any, Any],
    login_service: NamedDependency[LoginService],
    patient_service: NamedDependency[PatientService],
) -> Template | Redirect:
    session = request.session or {}
    phone = session.get(LOGIN_PHONE)
    if not phone:
        return Redirect("/login", status_code=303)
    data = await request.form()
    form = FormState(values={"code": form_text(data, "code", 12)})
    try:
        if await _over_limit(
            request, "login", request.app.state.settings.login.logins_per_address_per_minute, 60
        ):
            raise RuleError(
                _("Too many tries from this network. Please wait a minute and try again."), "code"
            )
        shell = shell_of(request)
        account = await login_service.verify_code(
            phone, form.value("code"), mode=shell.mode, locale=shell.locale
        )
    except RuleError as exc:
        return Template(
            "accounts/login_code.html",
            context={"form": form.add(exc), "phone": phone},
            status_code=400,
        )
    target = session.get(LOGIN_NEXT) or "/"
    log_in(request, account.id, mode=account.display_mode, locale=account.locale)
    family = await patient_service.family_of(account.id)
    if family:
        choose_patient(request, family[0].id, family[0].patient.name)
        return Redirect(safe_next(target), status_code=303)
    return Redirect("/patients/new?first=1", status_code=303)


@post("/logout", name="logout")
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End the session; display preferences stay in their cookies."""
    log_out(request)
    return Redirect("/", status_code=303)


# -- family members ---------------------------------------------------------------------------

patient_dependencies = {
    "codes": Provide(provide_codes),
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
    "account_service": Provide(provide_account_service),
}


def _member_form(data: Any) -> FormState:
    return FormState(
        values={
            "name": form_text(data, "name", 30),
            "id_number": form_text(data, "id_number", 30),
            "phone": form_text(data, "phone", 20),
            "relationship": form_text(data, "relationship", 16),
        }
    )


def _form_page(template: str, form: FormState, status: int = 200, **context: Any) -> Template:
    return Template(
        template,
        context={"form": form, "relationships": RELATIONSHIPS, **context},
        status_code=status,
    )


@get(
    "/patients", name="patients", guards=[requires_patient_login], dependencies=patient_dependencies
)
async def family_page(
    account_id: NamedDependency[UUID], patient_service: NamedDependency[PatientService]
) -> Template:
    """Everyone this account manages, masked, with the current one marked."""
    family = await patient_service.family_of(account_id)
    return Template(
        "accounts/patients.html",
        context={"family": family, "limit": patient_service.max_per_account},
    )


@get(
    "/patients/new",
    name="patient-new",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def new_member_page(
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    first: FromQuery[bool] = False,
) -> Template:
    family = await patient_service.family_of(account_id)
    suggested = "self" if not any(m.relationship == "self" for m in family) else "parent"
    return _form_page(
        "accounts/patient_form.html",
        FormState(values={"relationship": suggested}),
        member=None,
        first=first,
    )


@post(
    "/patients",
    name="patient-add",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def add_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    codes: NamedDependency[OneTimeCodes],
) -> Template | Redirect:
    form = _member_form(await request.form())
    try:
        member = await patient_service.add_member(
            account_id, today=request.app.state.clock.today(), **form.values
        )
    except ConsentNeeded as need:
        return await ask_for_consent(request, codes, account_id, need)
    except RuleError as exc:
        return _form_page(
            "accounts/patient_form.html", form.add(exc), 400, member=None, first=False
        )
    if not shell_of(request).patient_id or member.relationship == "self":
        choose_patient(request, member.id, member.patient.name)
    return Redirect("/patients", status_code=303)


@get(
    "/patients/{patient_id:str}/edit",
    name="patient-edit",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def edit_member_page(
    account_id: NamedDependency[UUID],
    patient_id: FromPath[str],
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
    return _form_page("accounts/patient_form.html", form, member=member, first=False)


@post(
    "/patients/{patient_id:str}/edit",
    name="patient-update",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def update_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[str],
    patient_service: NamedDependency[PatientService],
) -> Template | Redirect:
    member = await patient_service.member_of(account_id, patient_id)
    form = _member_form(await request.form())
    try:
        member = await patient_service.update_member(
            account_id, member.id, today=request.app.state.clock.today(), **form.values
        )
    except RuleError as exc:
        return _form_page(
            "accounts/patient_form.html", form.add(exc), 400, member=member, first=False
        )
    if shell_of(request).patient_id == str(member.id):
        choose_patient(request, member.id, member.patient.name)
    return Redirect("/patients", status_code=303)


@get(
    "/patients/{patient_id:str}/remove",
    name="patient-remove-confirm",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def remove_member_page(
    account_id: NamedDependency[UUID],
    patient_id: FromPath[str],
    patient_service: NamedDependency[PatientService],
) -> Template:
    """Ask once before removing: say plainly what removing does and does not do."""
    member = await patient_service.member_of(account_id, patient_id)
    return Template("accounts/patient_remove.html", context={"member": member})


@post(
    "/patients/{patient_id:str}/remove",
    name="patient-remove",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def remove_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[str],
    patient_service: NamedDependency[PatientService],
) -> Redirect:
    member = await patient_service.member_of(account_id, patient_id)
    await patient_service.remove_member(account_id, member.id)
    if shell_of(request).patient_id == str(member.id):
        family = await patient_service.family_of(account_id)
        choose_patient(
            request, family[0].id if family else None, family[0].patient.name if family else None
        )
    return Redirect("/patients", status_code=303)


@post(
    "/patients/{patient_id:str}/choose",
    name="patient-choose",
    guards=[requires_patient_login],
    dependencies=patient_dependencies,
)
async def choose_member(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[str],
    patient_service: NamedDependency[PatientService],
) -> Redirect:
    """Make a family member the current patient, then go back to where the switch was made."""
    member = await patient_service.member_of(account_id, patient_id)
    choose_patient(request, member.id, member.patient.name)
    form = await request.form()
    return Redirect(safe_next(form_text(form, "next"), "/patients"), status_code=303)


route_handlers = [
    login_page,
    request_code,
    verify_page,
    verify_code,
    logout,
    family_page,
    new_member_page,
    add_member,
    edit_member_page,
    update_member,
    remove_member_page,
    remove_member,
    choose_member,
    *consent_handlers,
]

tiles.register(
    Tile(
        key="patients",
        label=lazy_gettext("Family members"),
        hint=lazy_gettext("Add parents, choose who sees the doctor"),
        href="/patients",
        icon="family",
        group="me",
        rank=10,
        elder_rank=90,
    ),
)
