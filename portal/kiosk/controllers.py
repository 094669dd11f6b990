"""The lobby kiosk: a patient scans the e-card (or a printed card) and is checked in.

A kiosk is a device, not a person. A nurse or an administrator sets a screen up once
(``/staff/kiosk``): their own login ends and the browser's session holds only the kiosk's
name. Nothing of a patient is kept: the answer to a scan is one page that goes back to the
empty screen by itself (and on "Done"), with the kiosk's language and large text restored.
Every scan and every check-in is audited under the kiosk's name.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import ecard
from portal.audit.services import Actor, record
from portal.booking.labels import department_name
from portal.booking.models import Department
from portal.cards.dependencies import provide_scan_service
from portal.cards.services import TOO_FAST, ScanResult, ScanService
from portal.queue.services import CheckIn, NoAppointmentToday, QueueService
from portal.staff.auth import StaffUser, provide_staff, requires_staff, staff_log_out
from portal.staff.models import Staff
from portal.touchpoints import Touchpoint
from portal.web.forms import FormState, RuleError, form_text
from portal.web.i18n import gettext as _
from portal.web.sessions import rotate_session
from portal.web.shell import preference_cookies

KIOSK_KEY = "kiosk"
SCANS_PER_MINUTE = 30
"""A patient scans once; a kiosk answering more than one scan every two seconds is being probed."""
KIOSK_MAX_DAYS = 30
"""A kiosk is set up again (by a nurse) at least once a month."""
RESET_SECONDS = 20
"""How long an answer stays on the screen before the kiosk forgets it."""
NO_STORE = {"Cache-Control": "no-store"}


def _kiosk_entry(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    session = connection.scope.get("session")
    raw = session.get(KIOSK_KEY) if isinstance(session, dict) else None
    return raw if isinstance(raw, dict) and "id" in raw else None


async def kiosk_of(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    """This browser's kiosk, while it may still act as one: set up less than KIOSK_MAX_DAYS ago
    by someone who is still active staff. The session then holds the kiosk alone: a patient or
    staff login made on the kiosk (from an error page's link, say) ends here."""
    kiosk = _kiosk_entry(connection)
    if kiosk is None:
        return None
    expired = time.time() - float(kiosk.get("at", 0)) > KIOSK_MAX_DAYS * 86400
    async with connection.app.state.db_sessions() as session:
        staff = await session.scalar(select(Staff).where(Staff.username == kiosk.get("by")))
    if expired or staff is None or not staff.active:
        rotate_session(connection)
        connection.set_session({})
        return None
    if set(connection.session or {}) != {KIOSK_KEY}:
        rotate_session(connection)
        connection.set_session({KIOSK_KEY: kiosk})
    return kiosk


def kiosk_actor(kiosk: dict[str, Any], request: Request[Any, Any, Any]) -> Actor:
    return Actor(
        kind="kiosk",
        id=kiosk["id"],
        name=f"{kiosk['name']} ({kiosk['by']})",
        address=request.client.host if request.client else None,
    )


async def requires_kiosk_setup(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    await requires_staff(connection, handler)
    staff = await provide_staff(connection)
    if not staff.may_set_up_kiosks:
        raise PermissionDeniedException()


@get(
    "/staff/kiosk",
    name="kiosk-setup",
    guards=[requires_kiosk_setup],
    dependencies={"staff": Provide(provide_staff)},
)
async def setup_page(staff: NamedDependency[StaffUser]) -> Template:
    """Turn this screen into a lobby kiosk (what it does, and one field: its name)."""
    form = FormState(values={"name": _("Lobby kiosk")})
    return Template("kiosk/setup.html", context={"staff": staff, "form": form})


@post(
    "/staff/kiosk",
    name="kiosk-setup-submit",
    guards=[requires_kiosk_setup],
    dependencies={"staff": Provide(provide_staff)},
)
async def set_up(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    data = await request.form()
    form = FormState(values={"name": form_text(data, "name", 40)})
    if not form.value("name"):
        form.add(
            RuleError(_("Give the kiosk a name staff will recognise, such as its place."), "name")
        )
        return Template("kiosk/setup.html", context={"staff": staff, "form": form}, status_code=400)
    kiosk = {
        "id": str(uuid.uuid4()),
        "name": form.value("name"),
        "by": staff.username,
        "at": time.time(),
    }
    address = request.client.host if request.client else None
    await record(
        db_session,
        staff.actor(address),
        "kiosk.set_up",
        "ok",
        touchpoint=Touchpoint.KIOSK.value,
        detail=f"{kiosk['name']} ({kiosk['id']})",
    )
    await db_session.commit()
    # The staff login ends here: the screen is the lobby's now.
    staff_log_out(request)  # a new session id
    request.set_session({KIOSK_KEY: kiosk})
    return _fresh_screen(request)


def _fresh_screen(request: Request[Any, Any, Any]) -> Redirect:
    """Back to the empty scan screen, in the hospital's language and in large text."""
    settings = request.app.state.settings
    return Redirect(
        "/kiosk",
        status_code=303,
        cookies=preference_cookies(
            mode="elder",
            locale=settings.i18n.default_locale,
            secure=settings.app.is_production,
        ),
        headers=NO_STORE,
    )


def _not_a_kiosk() -> Template:
    return Template("kiosk/not_set_up.html", status_code=403, headers=NO_STORE)


@get("/kiosk", name="kiosk")
async def kiosk_page(request: Request[Any, Any, Any]) -> Template:
    """The waiting screen: scan your card to check in."""
    kiosk = await kiosk_of(request)
    if kiosk is None:
        return _not_a_kiosk()
    return Template("kiosk/index.html", context=_context(request, kiosk), headers=NO_STORE)


@get("/kiosk/done", name="kiosk-done")
async def done(request: Request[Any, Any, Any]) -> Redirect:
    """Done, or the screen was left alone: forget the last patient and their language choice
    (only on a kiosk: elsewhere it changes nothing)."""
    if await kiosk_of(request) is None:
        return Redirect("/", status_code=303)
    return _fresh_screen(request)


@post(
    "/kiosk",
    name="kiosk-scan",
    dependencies={"scan_service": Provide(provide_scan_service)},
)
async def scan(
    request: Request[Any, Any, Any],
    scan_service: NamedDependency[ScanService],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    """One scan: check the card, then check the patient in; the answer is for the patient."""
    kiosk = await kiosk_of(request)
    if kiosk is None:
        return _not_a_kiosk()
    data = await request.form()
    text = form_text(data, "code", 200)
    if not text:
        return _fresh_screen(request)
    state = request.app.state
    actor = kiosk_actor(kiosk, request)
    if not await state.rate_limiter.hit(f"kiosk:{kiosk['id']}", SCANS_PER_MINUTE, 60):
        result = ScanResult(outcome=TOO_FAST, touchpoint=Touchpoint.KIOSK)
    else:
        result = await scan_service.scan(text, Touchpoint.KIOSK, actor)
    checkin: CheckIn | None = None
    refusal: str | None = None
    next_step = _("Please ask the nurse at the triage desk if you need help.")
    where = ""
    if result.accepted and result.patient_id is not None:
        service = QueueService(db_session, state.settings.queue, state.clock, state.get("channels"))
        try:
            checkin = await service.check_in(result.patient_id, actor, Touchpoint.KIOSK.value)
        except NoAppointmentToday:
            refusal = _("We found no appointment for you today.")
            next_step = _("To see a doctor today, please go to the registration desk.")
        except RuleError as exc:
            refusal = exc.message
        if checkin is not None:
            department = (
                await db_session.get(Department, checkin.queue.department_id)
                if checkin.queue.department_id is not None
                else None
            )
            place = department_name(department) if department else checkin.queue.name
            location = department.location if department else ""
            where = " ".join(part for part in (location, place, checkin.queue.room) if part)
    context = {
        **_context(request, kiosk),
        "result": result,
        "checkin": checkin,
        "refusal": refusal,
        "next_step": next_step,
        "where": where,
        "age_limit": state.settings.queue.elder_priority_age,
        "hospital": state.settings.app.hospital_name or _("Yimatong hospital"),
        "now": state.clock.local(state.clock.now()),
        "advice": None if result.accepted else patient_advice(result.outcome),
    }
    return Template("kiosk/index.html", context=context, headers=NO_STORE)


def patient_advice(outcome: str) -> tuple[str, str]:
    """Why a card was not accepted and what to do, said to the patient (a desk's wording is for
    staff). Unknown outcomes send the patient to a person."""
    read_again = (
        _("The kiosk could not read that"),
        _("Hold the QR code on your phone, or the barcode on your card, under the scanner again."),
    )
    expired = (
        _("This code has expired"),
        _("Open the e-card on your phone and scan the new code it shows."),
    )
    texts = {
        ecard.Outcome.MALFORMED: read_again,
        ecard.Outcome.BAD_CHECK_DIGIT: read_again,
        ecard.Outcome.EXPIRED: expired,
        ecard.Outcome.FROM_THE_FUTURE: expired,
        ecard.Outcome.REVOKED: (
            _("This card was replaced by a new one"),
            _(
                "Open the e-card on your phone to show the new card, or ask the nurse at the triage desk."
            ),
        ),
        TOO_FAST: (
            _("One moment, please"),
            _("Wait a few seconds, then scan your card again."),
        ),
    }
    return texts.get(
        outcome,
        (
            _("This card cannot be used here"),
            _("Please ask the nurse at the triage desk for help."),
        ),
    )


def _context(request: Request[Any, Any, Any], kiosk: dict[str, Any]) -> dict[str, Any]:
    return {
        "kiosk": kiosk,
        "default_locale": request.app.state.settings.i18n.default_locale,
        "result": None,
        "checkin": None,
        "refusal": None,
        "reset_seconds": RESET_SECONDS,
    }


route_handlers = [setup_page, set_up, kiosk_page, done, scan]
