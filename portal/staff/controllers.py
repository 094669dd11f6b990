"""Staff pages: login, the desks a person may use, scan stations and the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.audit.services import AuditFilter, search
from portal.cards.dependencies import provide_scan_service
from portal.cards.services import TOO_FAST, ScanResult, ScanService
from portal.core.clock import Clock
from portal.core.errors import NotAllowed, NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.core.touchpoints import TOUCHPOINTS, Touchpoint, parse_touchpoint
from portal.staff.auth import (
    StaffUser,
    provide_staff,
    requires_admin,
    requires_staff,
    staff_log_in,
    staff_log_out,
    staff_logged_in,
)
from portal.staff.dependencies import provide_desk_actions, provide_staff_service
from portal.staff.desk import run_desk_action
from portal.staff.services import StaffService
from portal.web.feature import DeskAction
from portal.web.forms import FormState, form_text, named_id, scanned_text
from portal.web.ratelimit import RateLimiter
from portal.web.redirects import redirect_to, route_path, safe_next

STAFF_LOGINS_PER_MINUTE = 60  # a shift change logs a whole floor in from one address
SCANS_PER_MINUTE = 240
Query = Annotated[str | None, QueryParameter()]
dependencies = {
    "staff": Provide(provide_staff),
    "staff_service": Provide(provide_staff_service),
    "desk_actions": Provide(provide_desk_actions, sync_to_thread=False),
}


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


@get("/staff/login", name="staff-login")
async def login_page(
    request: Request[Any, Any, Any],
    next_: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template | Redirect:
    home = route_path(request, "staff-home")
    if staff_logged_in(request):
        return Redirect(safe_next(next_, home), status_code=303)
    return Template(
        "staff/login.html", context={"form": FormState(values={"next": safe_next(next_, home)})}
    )


@post("/staff/login", name="staff-login-submit", dependencies=dependencies)
async def login(
    request: Request[Any, Any, Any],
    staff_service: NamedDependency[StaffService],
    rate_limiter: NamedDependency[RateLimiter],
    clock: NamedDependency[Clock],
) -> Template | Redirect:
    data = await request.form()
    form = FormState(
        values={
            "username": form_text(data, "username", 40),
            "next": safe_next(form_text(data, "next"), route_path(request, "staff-home")),
        }
    )
    try:
        if not await rate_limiter.hit(
            f"staff-login:{_address(request)}", STAFF_LOGINS_PER_MINUTE, 60
        ):
            raise RuleError(
                _("Too many tries from this computer. Please wait a minute."), "password"
            )
        staff = await staff_service.authenticate(
            form.value("username"), form_text(data, "password", 200), clock, _address(request)
        )
    except RuleError as exc:
        return Template("staff/login.html", context={"form": form.add(exc)}, status_code=400)
    staff_log_in(request, staff)
    return Redirect(form.value("next"), status_code=303)


@post("/staff/logout", name="staff-logout")
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    staff_log_out(request)
    return redirect_to(request, "staff-login")


@get("/staff", name="staff-home", guards=[requires_staff], dependencies=dependencies)
async def staff_home(staff: NamedDependency[StaffUser]) -> Template:
    """The desks this person may use; one is usually all they need."""
    desks = [(t, TOUCHPOINTS[t]) for t in Touchpoint if t != Touchpoint.KIOSK and staff.may_use(t)]
    return Template("staff/home.html", context={"staff": staff, "desks": desks})


def _desk(staff: StaffUser, name: str) -> Touchpoint:
    """The desk a station's address names: an unknown one (or the kiosk, which is no staff
    desk) is not found; one this person does not work at is not allowed."""
    touchpoint = parse_touchpoint(name)
    if touchpoint is None or touchpoint == Touchpoint.KIOSK:
        raise NotFound()
    if not staff.may_use(touchpoint):
        raise NotAllowed()
    return touchpoint


@get(
    "/staff/scan/{desk:str}",
    name="scan-station",
    guards=[requires_staff],
    dependencies=dependencies,
)
async def scan_station(staff: NamedDependency[StaffUser], desk: FromPath[str]) -> Template:
    """A station built for speed: an always-focused input for a USB scanner's code + Enter."""
    touchpoint = _desk(staff, desk)
    return Template(
        "staff/scan.html",
        context={
            "staff": staff,
            "touchpoint": touchpoint,
            "info": TOUCHPOINTS[touchpoint],
            "result": None,
            "desk": None,
        },
    )


@post(
    "/staff/scan/{desk:str}",
    name="scan-station-submit",
    guards=[requires_staff],
    dependencies={**dependencies, "scan_service": Provide(provide_scan_service)},
)
async def scan(
    request: HTMXRequest,
    staff: NamedDependency[StaffUser],
    desk: FromPath[str],
    scan_service: NamedDependency[ScanService],
    rate_limiter: NamedDependency[RateLimiter],
    desk_actions: NamedDependency[Mapping[Touchpoint, DeskAction]],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """Verify one scan; htmx gets just the result panel, a plain form post the whole station."""
    touchpoint = _desk(staff, desk)
    text = scanned_text(await request.form())
    result: ScanResult | None = None
    if text:
        if await rate_limiter.hit(f"scan:{staff.id}", SCANS_PER_MINUTE, 60):
            result = await scan_service.scan(text, touchpoint, staff.actor(_address(request)))
        else:
            result = ScanResult(outcome=TOO_FAST, touchpoint=touchpoint)
    desk_context = (
        await run_desk_action(desk_actions, request, db_session, result, staff) if result else None
    )
    context = {
        "staff": staff,
        "touchpoint": touchpoint,
        "info": TOUCHPOINTS[touchpoint],
        "result": result,
        "desk": desk_context,
    }
    if request.htmx:
        return Template("staff/_scan_result.html", context=context)
    return Template("staff/scan.html", context=context)


def _day_in(day: str | None, clock: Clock) -> tuple[datetime | None, datetime | None]:
    """The local day ``YYYY-MM-DD`` as a time range (none for no day, or one not readable)."""
    if not day:
        return None, None
    try:
        local_day = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        return None, None
    since = datetime.combine(local_day, time.min, tzinfo=clock.zone)
    return since, since + timedelta(days=1)


@get("/staff/audit", name="staff-audit", guards=[requires_admin], dependencies=dependencies)
async def audit_log(
    staff: NamedDependency[StaffUser],
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    touchpoint: Query = None,
    outcome: Query = None,
    action: Query = None,
    actor: Query = None,
    card: Query = None,
    day: Query = None,
) -> Template:
    """The audit log, newest first, filtered by desk, outcome, action, actor, card or day."""
    since, until = _day_in(day, clock)
    wanted = AuditFilter(
        touchpoint=touchpoint or None,
        outcome=outcome or None,
        action=action or None,
        actor=actor or None,
        card_number=card or None,
        since=since,
        until=until,
    )
    events = await search(db_session, wanted)
    return Template(
        "staff/audit.html",
        context={
            "events": events,
            "wanted": wanted,
            "day": day or "",
            "touchpoints": TOUCHPOINTS,
            "staff": staff,
        },
    )


@get("/staff/accounts", name="staff-accounts", guards=[requires_admin], dependencies=dependencies)
async def staff_accounts(
    staff: NamedDependency[StaffUser],
    staff_service: NamedDependency[StaffService],
    clock: NamedDependency[Clock],
    unlocked: Query = None,
) -> Template:
    """Staff accounts locked after wrong passwords, each with an Unlock button."""
    unlocked_id = named_id(unlocked)
    return Template(
        "staff/accounts.html",
        context={
            "staff": staff,
            "locked": await staff_service.locked_accounts(clock),
            "unlocked": await staff_service.staff(unlocked_id) if unlocked_id else None,
        },
    )


@post(
    "/staff/accounts/{staff_id:uuid}/unlock",
    name="staff-unlock",
    guards=[requires_admin],
    dependencies=dependencies,
)
async def unlock_account(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    staff_service: NamedDependency[StaffService],
    clock: NamedDependency[Clock],
    staff_id: FromPath[UUID],
) -> Redirect:
    """Lift the lock at once (audited), then back to the list, which says whose it was."""
    unlocked = await staff_service.unlock(staff_id, staff.actor(_address(request)), clock)
    if unlocked is None:
        raise NotFound()
    return redirect_to(request, "staff-accounts", {"unlocked": unlocked.id})


route_handlers = [
    login_page,
    login,
    logout,
    staff_home,
    scan_station,
    scan,
    audit_log,
    staff_accounts,
    unlock_account,
]
