"""Logging in by SMS code (phone, then code) and logging out."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from portal.accounts.dependencies import provide_login_service, provide_patient_service
from portal.accounts.services import LoginService, PatientService
from portal.core.errors import RuleError
from portal.core.i18n import gettext as _
from portal.settings import Settings
from portal.web.auth import choose_patient, log_in, log_out
from portal.web.forms import FormState
from portal.web.ratelimit import RateLimiter
from portal.web.redirects import redirect_to, safe_next
from portal.web.shell import preference_cookies, shell_of

LOGIN_PHONE = "login_phone"
LOGIN_NEXT = "login_next"


def _client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def _refuse_when_over(
    request: Request[Any, Any, Any],
    limiter: RateLimiter,
    action: str,
    limit: int,
    window: int,
    error: RuleError,
) -> None:
    """Count one try from this network; ``error`` once it has had ``limit`` in ``window``."""
    if not await limiter.hit(f"{action}:{_client_address(request)}", limit, window):
        raise error


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
    request: Request[Any, Any, Any],
    login_service: NamedDependency[LoginService],
    settings: NamedDependency[Settings],
    rate_limiter: NamedDependency[RateLimiter],
) -> Template | Redirect:
    """Send a code, then ask for it. Wrong input shows the form again with what was typed."""
    form = FormState.read(await request.form(), {"phone": 20, "next": 200})
    form.values["next"] = safe_next(form.value("next"))
    try:
        form.refuse_if_failed()
        await _refuse_when_over(
            request,
            rate_limiter,
            "code",
            settings.login.requests_per_address_per_hour,
            3600,
            RuleError(
                _("Too many codes were asked for from this network. Please try again later."),
                "phone",
            ),
        )
        phone = await login_service.request_code(form.value("phone"), _client_address(request))
    except RuleError as exc:
        return Template(
            "accounts/login_phone.html", context={"form": form.add(exc)}, status_code=400
        )
    request.set_session(
        {**(request.session or {}), LOGIN_PHONE: phone, LOGIN_NEXT: form.value("next")}
    )
    return redirect_to(request, "login-verify")


@get("/login/verify", name="login-verify")
async def verify_page(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Step 2: the 6-digit code."""
    phone = (request.session or {}).get(LOGIN_PHONE)
    if not phone:
        return redirect_to(request, "login")
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
    settings: NamedDependency[Settings],
    rate_limiter: NamedDependency[RateLimiter],
) -> Template | Redirect:
    """The code: logged in, then to the page that asked for a login (or to add someone first)."""
    session = request.session or {}
    phone = session.get(LOGIN_PHONE)
    if not phone:
        return redirect_to(request, "login")
    form = FormState.read(await request.form(), {"code": 12})
    try:
        form.refuse_if_failed()
        await _refuse_when_over(
            request,
            rate_limiter,
            "login",
            settings.login.logins_per_address_per_minute,
            60,
            RuleError(
                _("Too many tries from this network. Please wait a minute and try again."), "code"
            ),
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
        response = Redirect(safe_next(target), status_code=303)
    else:
        response = redirect_to(request, "patient-new", {"first": 1})
    # The account's choices become this browser's too: pages answered before the session is
    # read (a malformed address, a refused form) then speak the same language.
    response.cookies.extend(
        preference_cookies(
            mode=account.display_mode,
            locale=account.locale,
            secure=settings.app.is_production,
        )
    )
    return response


@post("/logout", name="logout")
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End the session; display preferences stay in their cookies."""
    log_out(request)
    return redirect_to(request, "home")


route_handlers = [login_page, request_code, verify_page, verify_code, logout]
