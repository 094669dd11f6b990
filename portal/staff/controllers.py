"""Staff pages: login, the desks a person may use, scan stations and the audit log."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.audit.services import AuditFilter, search
from portal.cards.dependencies import provide_scan_service
from portal.cards.services import TOO_FAST, ScanResult, ScanService
from portal.staff.auth import (
    StaffUser,
    provide_staff,
    requires_admin,
    requires_staff,
    staff_log_in,
    staff_log_out,
    staff_logged_in,
    staff_of,
)
from portal.staff.dependencies import provide_staff_service
from portal.staff.desk import run_desk_action
from portal.staff.services import StaffService
from portal.touchpoints import TOUCHPOINTS, Touchpoint, parse_touchpoint
from portal.web.forms import FormState, RuleError, form_text
from portal.web.i18n import gettext as _
from portal.web.redirects import safe_next

STAFF_LOGINS_PER_MINUTE = 60  # a shift change logs a whole floor in from one address
SCANS_PER_MINUTE = 240
Query = Annotated[str | None, QueryParameter()]


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


@get("/staff/login", name="staff-login")
async def login_page(
    request: Request[Any, Any, Any],
    next_: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template | Redirect:
    if staff_logged_in(request):
        return Redirect(safe_next(next_, "/staff"), status_code=303)
    return Template(
        "staff/login.html", context={"form": FormState(values={"next": safe_next(next_, "/staff")})}
    )


@post(
    "/staff/login",
    name="staff-login-submit",
    dependencies={"staff_service": Provide(provide_staff_service)},
)
async def login(
    request: Request[Any, Any, Any], staff_service: NamedDependency[StaffService]
) -> Template | Redirect:
    data = await request.form()
    form = FormState(
        values={
            "username": form_text(data, "username", 40),
            "next": safe_next(form_text(data, "next"), "/staff"),
        }
    )
    try:
        if not await request.app.state.rate_limiter.hit(
            f"staff-login:{_address(request)}", STAFF_LOGINS_PER_MINUTE, 60
        ):
            raise RuleError(
                _("Too many tries from this computer. Please wait a minute."), "password"
            )
        staff = await staff_service.authenticate(
            form.value("username"), form_text(data, "password", 200), request.app.state.clock.now()
        )
    except RuleError as exc:
        return Template("staff/login.html", context={"form": form.add(exc)}, status_code=400)
    staff_log_in(request, staff)
    return Redirect(form.value("next"), status_code=303)


@post("/staff/logout", name="staff-logout")
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    staff_log_out(request)
    return Redirect("/staff/login", status_code=303)


@get(
    "/staff",
    name="staff-home",
    guards=[requires_staff],
    dependencies={"staff": Provide(provide_staff)},
)
async def staff_home(staff: NamedDependency[StaffUser]) -> Template:
    """The desks this person may use; one is usually all they need."""
    desks = [(t, TOUCHPOINTS[t]) for t in Touchpoint if t != Touchpoint.KIOSK and staff.may_use(t)]
    return Template("staff/home.html", context={"staff": staff, "desks": desks})


def _desk(staff: StaffUser, name: str) -> Touchpoint:
    touchpoint = parse_touchpoint(name)
    if touchpoint is None or touchpoint == Touchpoint.KIOSK:
        raise NotFoundException()
    if not staff.may_use(touchpoint):
        raise PermissionDeniedException()
    return touchpoint


@get(
    "/staff/scan/{desk:str}",
    name="scan-station",
    guards=[requires_staff],
    dependencies={"staff": Provide(provide_staff)},
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
    dependencies={"staff": Provide(provide_staff), "scan_service": Provide(provide_scan_service)},
)
async def scan(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    desk: FromPath[str],
    scan_service: NamedDependency[ScanService],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """Verify one scan; htmx gets just the result panel, a plain form post the whole station."""
    touchpoint = _desk(staff, desk)
    data = await request.form()
    text = form_text(data, "code", 200)
    result: ScanResult | None = None
    if text:
        if await request.app.state.rate_limiter.hit(f"scan:{staff.id}", SCANS_PER_MINUTE, 60):
            result = await scan_service.scan(text, touchpoint, staff.actor(_address(request)))
        else:
            result = ScanResult(outcome=TOO_FAST, touchpoint=touchpoint)
    desk_context = await run_desk_action(request, db_session, result, staff) if result else None
    context = {
        "staff": staff,
        "touchpoint": touchpoint,
        "info": TOUCHPOINTS[touchpoint],
        "result": result,
        "desk": desk_context,
    }
    if request.headers.get("hx-request"):
        return Template("staff/_scan_result.html", context=context)
    return Template("staff/scan.html", context=context)


@get("/staff/audit", name="staff-audit", guards=[requires_admin])
async def audit_log(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    touchpoint: Query = None,
    outcome: Query = None,
    action: Query = None,
    actor: Query = None,
    card: Query = None,
    day: Query = None,
) -> Template:
    """The audit log, newest first, filtered by desk, outcome, action, actor, card or day."""
    clock = request.app.state.clock
    since = until = None
    if day:
        try:
            local_day = datetime.strptime(day, "%Y-%m-%d").date()
        except ValueError:
            local_day = None
        if local_day:
            since = datetime.combine(local_day, time.min, tzinfo=clock.zone)
            until = since + timedelta(days=1)
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
            "staff": staff_of(request),
        },
    )


route_handlers = [login_page, login, logout, staff_home, scan_station, scan, audit_log]
