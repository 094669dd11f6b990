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
from dataclasses import asdict, dataclass
from typing import Any

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import ecard
from portal.audit.services import record
from portal.booking.dependencies import timetable_dependencies
from portal.booking.labels import department_name
from portal.booking.timetable import TimetableService
from portal.cards.dependencies import provide_scan_service
from portal.cards.services import TOO_FAST, ScanResult, ScanService
from portal.core.actor import Actor
from portal.core.clock import Clock
from portal.core.errors import NotAllowed, RuleError
from portal.core.i18n import gettext as _
from portal.core.touchpoints import Touchpoint
from portal.kiosk.bills import offer
from portal.queue.dependencies import checkin_dependencies
from portal.queue.services import CheckIn, CheckInService, NoAppointmentToday
from portal.settings import Settings
from portal.staff.auth import StaffUser, provide_staff, requires_staff, staff_log_out
from portal.staff.dependencies import provide_staff_service
from portal.staff.services import StaffService
from portal.web.forms import FormState, scanned_text
from portal.web.ratelimit import RateLimiter
from portal.web.redirects import route_path
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


@dataclass(frozen=True)
class Kiosk:
    """A screen set up as a lobby kiosk: its own id, its name, who set it up and when."""

    id: str
    name: str
    by: str
    at: float

    @classmethod
    def read(cls, raw: object) -> Kiosk | None:
        """The kiosk a browser's session holds (None: none, or one that cannot be read)."""
        if not isinstance(raw, dict):
            return None
        try:
            return cls(str(raw["id"]), str(raw["name"]), str(raw["by"]), float(raw.get("at", 0)))
        except (KeyError, TypeError, ValueError):
            return None

    def actor(self, request: Request[Any, Any, Any]) -> Actor:
        """Who the audit log says scanned and checked in: the kiosk, and who set it up."""
        return Actor(
            kind="kiosk",
            id=self.id,
            name=f"{self.name} ({self.by})",
            address=request.client.host if request.client else None,
        )


async def kiosk_of(
    connection: ASGIConnection[Any, Any, Any, Any], staff_service: StaffService
) -> Kiosk | None:
    """This browser's kiosk, while it may still act as one: set up less than KIOSK_MAX_DAYS ago
    by someone who is still active staff. The session then holds the kiosk alone: a patient or
    staff login made on the kiosk (from an error page's link, say) ends here."""
    session = connection.scope.get("session")
    kiosk = Kiosk.read(session.get(KIOSK_KEY) if isinstance(session, dict) else None)
    if kiosk is None:
        return None
    expired = time.time() - kiosk.at > KIOSK_MAX_DAYS * 86400
    if expired or not await staff_service.is_active(kiosk.by):
        rotate_session(connection)
        connection.set_session({})
        return None
    if set(connection.session or {}) != {KIOSK_KEY}:
        rotate_session(connection)
        connection.set_session({KIOSK_KEY: asdict(kiosk)})
    return kiosk


async def provide_kiosk(
    request: Request[Any, Any, Any], staff_service: NamedDependency[StaffService]
) -> Kiosk | None:
    return await kiosk_of(request, staff_service)


async def requires_kiosk_setup(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    await requires_staff(connection, handler)
    staff = await provide_staff(connection)
    if not staff.may_set_up_kiosks:
        raise NotAllowed()


kiosk_dependencies = {
    "staff_service": Provide(provide_staff_service),
    "kiosk": Provide(provide_kiosk),
}
setup_dependencies = {"staff": Provide(provide_staff)}


@get(
    "/staff/kiosk",
    name="kiosk-setup",
    guards=[requires_kiosk_setup],
    dependencies=setup_dependencies,
)
async def setup_page(staff: NamedDependency[StaffUser]) -> Template:
    """Turn this screen into a lobby kiosk (what it does, and one field: its name)."""
    form = FormState(values={"name": _("Lobby kiosk")})
    return Template("kiosk/setup.html", context={"staff": staff, "form": form})


@post(
    "/staff/kiosk",
    name="kiosk-setup-submit",
    guards=[requires_kiosk_setup],
    dependencies=setup_dependencies,
)
async def set_up(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffUser],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    form = FormState.read(await request.form(), {"name": 40})
    if not form.failed and not form.value("name"):
        form.add(
            RuleError(_("Give the kiosk a name staff will recognise, such as its place."), "name")
        )
    if form.failed:
        return Template("kiosk/setup.html", context={"staff": staff, "form": form}, status_code=400)
    kiosk = Kiosk(id=str(uuid.uuid4()), name=form.value("name"), by=staff.username, at=time.time())
    address = request.client.host if request.client else None
    await record(
        db_session,
        staff.actor(address),
        "kiosk.set_up",
        "ok",
        touchpoint=Touchpoint.KIOSK.value,
        detail=f"{kiosk.name} ({kiosk.id})",
    )
    await db_session.commit()
    # The staff login ends here: the screen is the lobby's now.
    staff_log_out(request)  # a new session id
    request.set_session({KIOSK_KEY: asdict(kiosk)})
    return _fresh_screen(request, settings)


def _fresh_screen(request: Request[Any, Any, Any], settings: Settings) -> Redirect:
    """Back to the empty scan screen, in the hospital's language and in large text."""
    return Redirect(
        route_path(request, "kiosk"),
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


@get("/kiosk", name="kiosk", dependencies=kiosk_dependencies)
async def kiosk_page(
    kiosk: NamedDependency[Kiosk | None], settings: NamedDependency[Settings]
) -> Template:
    """The waiting screen: scan your card to check in."""
    if kiosk is None:
        return _not_a_kiosk()
    return Template("kiosk/index.html", context=_context(kiosk, settings), headers=NO_STORE)


@get("/kiosk/done", name="kiosk-done", dependencies=kiosk_dependencies)
async def done(
    request: Request[Any, Any, Any],
    kiosk: NamedDependency[Kiosk | None],
    settings: NamedDependency[Settings],
) -> Redirect:
    """Done, or the screen was left alone: forget the last patient and their language choice
    (only on a kiosk: elsewhere it changes nothing)."""
    if kiosk is None:
        return Redirect(route_path(request, "home"), status_code=303)
    return _fresh_screen(request, settings)


async def _where(timetable_service: TimetableService, checkin: CheckIn) -> str:
    """Where to wait, in the patient's language: the department's place, its name, the room."""
    queue = checkin.queue
    department = (
        await timetable_service.find_department(queue.department_id)
        if queue.department_id is not None
        else None
    )
    place = department_name(department) if department else queue.name
    location = department.location if department else ""
    return " ".join(part for part in (location, place, queue.room) if part)


@post(
    "/kiosk",
    name="kiosk-scan",
    dependencies={
        **kiosk_dependencies,
        **timetable_dependencies,
        **checkin_dependencies,
        "scan_service": Provide(provide_scan_service),
    },
)
async def scan(
    request: Request[Any, Any, Any],
    kiosk: NamedDependency[Kiosk | None],
    scan_service: NamedDependency[ScanService],
    checkin_service: NamedDependency[CheckInService],
    timetable_service: NamedDependency[TimetableService],
    rate_limiter: NamedDependency[RateLimiter],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    """One scan: check the card, then check the patient in; the answer is for the patient, with
    what they have to pay (and a button to pay it here)."""
    if kiosk is None:
        return _not_a_kiosk()
    text = scanned_text(await request.form())
    if not text:
        return _fresh_screen(request, settings)
    actor = kiosk.actor(request)
    if not await rate_limiter.hit(f"kiosk:{kiosk.id}", SCANS_PER_MINUTE, 60):
        result = ScanResult(outcome=TOO_FAST, touchpoint=Touchpoint.KIOSK)
    else:
        result = await scan_service.scan(text, Touchpoint.KIOSK, actor)
    checkin: CheckIn | None = None
    refusal: str | None = None
    next_step = _("Please ask the nurse at the triage desk if you need help.")
    where = ""
    if result.accepted and result.patient_id is not None:
        try:
            checkin = await checkin_service.check_in(
                result.patient_id, actor, Touchpoint.KIOSK.value
            )
        except NoAppointmentToday:
            refusal = _("We found no appointment for you today.")
            next_step = _("To see a doctor today, please go to the registration desk.")
        except RuleError as exc:
            refusal = exc.message
        if checkin is not None:
            where = await _where(timetable_service, checkin)
    context = {
        **_context(kiosk, settings),
        "result": result,
        "checkin": checkin,
        "refusal": refusal,
        "next_step": next_step,
        "where": where,
        "age_limit": settings.queue.elder_priority_age,
        "hospital": settings.app.hospital_name or _("Yimatong hospital"),
        "now": clock.local(clock.now()),
        "advice": None if result.accepted else patient_advice(result.outcome),
        "due_bills": [],
        "pay_pass": None,
    }
    if result.accepted and result.patient_id is not None:
        context.update(await offer(request, db_session, kiosk, result.patient_id, clock, settings))
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


def _context(kiosk: Kiosk, settings: Settings) -> dict[str, Any]:
    return {
        "kiosk": kiosk,
        "default_locale": settings.i18n.default_locale,
        "result": None,
        "checkin": None,
        "refusal": None,
        "reset_seconds": RESET_SECONDS,
        "due_bills": [],
        "pay_pass": None,
    }


route_handlers = [setup_page, set_up, kiosk_page, done, scan]
