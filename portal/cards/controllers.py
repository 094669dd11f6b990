"""The patient's card pages (/ecard …) and the scan API (/api/v1/scans)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import PermissionDeniedException, TooManyRequestsException
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import ecard
from portal.accounts.dependencies import provide_patient_service
from portal.accounts.services import FamilyMember, PatientService
from portal.api.auth import authenticate
from portal.audit.services import Actor
from portal.cards.dependencies import provide_card_service, provide_scan_service
from portal.cards.schemas import ScannedPatient, ScanRequest, ScanResponse
from portal.cards.services import CardService, ScanService
from portal.web import tiles
from portal.web.auth import provide_account_id, requires_patient_login
from portal.web.forms import form_text
from portal.web.i18n import gettext as _
from portal.web.i18n import lazy_gettext
from portal.web.shell import shell_of
from portal.web.tiles import Tile

PatientParam = Annotated[str | None, QueryParameter(name="patient")]

card_dependencies = {
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
    "card_service": Provide(provide_card_service),
}


async def _chosen_member(
    request: Request[Any, Any, Any], account_id: UUID, patients: PatientService, patient: str | None
) -> tuple[FamilyMember | None, list[FamilyMember]]:
    """The family member whose card to show: the one asked for, else the current patient."""
    family = await patients.family_of(account_id)
    if patient:
        return await patients.member_of(account_id, patient), family
    current = shell_of(request).patient_id
    chosen = next((m for m in family if str(m.id) == current), family[0] if family else None)
    return chosen, family


async def card_context(card_service: CardService, member: FamilyMember) -> dict[str, Any]:
    """Everything the card shows: the live QR (rendered once per window), barcode, digits."""
    card = await card_service.active_card(member.id)
    code = card_service.live_code(card)
    return {
        "member": member,
        "card": card,
        "code": code,
        "qr_svg": ecard.qr_svg(code.text, label=_("Visit card QR code")),
        "barcode_svg": ecard.barcode_svg(card.card_number, label=_("Visit card barcode")),
        "card_digits": ecard.group_digits(card.card_number),
        "window_seconds": ecard.WINDOW_SECONDS,
    }


@get("/ecard", name="ecard", guards=[requires_patient_login], dependencies=card_dependencies)
async def card_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
    patient: PatientParam = None,
) -> Template | Redirect:
    """The current patient's card, full width, with a one-tap switch between family members."""
    member, family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return Redirect("/patients/new?first=1", status_code=303)
    context = await card_context(card_service, member)
    return Template(
        "cards/card.html",
        context={**context, "family": family},
        headers={"Cache-Control": "no-store"},
    )


@get(
    "/ecard/code",
    name="ecard-code",
    guards=[requires_patient_login],
    dependencies=card_dependencies,
)
async def card_code(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
    patient: PatientParam = None,
) -> Template | Redirect:
    """The refreshing code fragment (htmx); a normal request gets the whole card page."""
    if not request.headers.get("hx-request"):
        return Redirect("/ecard" + (f"?patient={patient}" if patient else ""), status_code=303)
    member, _family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return Redirect("/patients/new?first=1", status_code=303)
    context = await card_context(card_service, member)
    return Template("cards/_code.html", context=context, headers={"Cache-Control": "no-store"})


@get(
    "/ecard/print",
    name="ecard-print",
    guards=[requires_patient_login],
    dependencies=card_dependencies,
)
async def print_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
    patient: PatientParam = None,
    size: FromQuery[str] = "a6",
) -> Template | Redirect:
    """A printable card (A6 card or 80 mm receipt) with the barcode, for elders without a phone."""
    member, _family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return Redirect("/patients/new?first=1", status_code=303)
    context = await card_context(card_service, member)
    hospital = request.app.state.settings.app.hospital_name or _("Yimatong hospital")
    return Template(
        "cards/print.html",
        context={**context, "size": "receipt" if size == "receipt" else "a6", "hospital": hospital},
    )


@get(
    "/ecard/reissue",
    name="ecard-reissue-confirm",
    guards=[requires_patient_login],
    dependencies=card_dependencies,
)
async def reissue_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    patient: PatientParam = None,
) -> Template | Redirect:
    """Say plainly what a reissue does before doing it."""
    member, _family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return Redirect("/patients/new?first=1", status_code=303)
    return Template("cards/reissue.html", context={"member": member})


@post(
    "/ecard/reissue",
    name="ecard-reissue",
    guards=[requires_patient_login],
    dependencies=card_dependencies,
)
async def reissue(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
) -> Redirect:
    """Lost phone: revoke every earlier code at once and issue a new card number."""
    form = await request.form()
    member = await patient_service.member_of(account_id, form_text(form, "patient", 64))
    actor = Actor(
        kind="patient",
        id=str(account_id),
        name=_("Patient account"),
        address=request.client.host if request.client else None,
    )
    await card_service.reissue(member.id, actor)
    return Redirect(f"/ecard?patient={member.id}&reissued=1", status_code=303)


# -- scan API ---------------------------------------------------------------------------------


@post(
    "/api/v1/scans",
    name="api-scan",
    tags=["scans"],
    dependencies={"scan_service": Provide(provide_scan_service)},
    status_code=200,
    summary="Verify a scanned card at a touchpoint",
)
async def api_scan(
    request: Request[Any, Any, Any],
    data: JSONBody[ScanRequest],
    db_session: NamedDependency[AsyncSession],
    scan_service: NamedDependency[ScanService],
) -> ScanResponse:
    """Verify what a scanner read (the QR text, the barcode's card number, or a typed number) for a
    touchpoint. Requires ``Authorization: Bearer <token>`` of a client with the scope
    ``scan:<touchpoint>`` (or ``scan:*``). Every scan, accepted or refused, is audited. The answer
    never contains the full name or ID number."""
    client = await authenticate(request, db_session)
    if not ({f"scan:{data.touchpoint.value}", "scan:*"} & client.scopes):
        raise PermissionDeniedException("This client may not scan at that touchpoint.")
    limits = request.app.state.rate_limiter
    if not await limits.hit(f"api-scan:{client.id}", 600, 60):
        raise TooManyRequestsException("Too many scans from this client in a minute.")
    actor = Actor(
        kind="api",
        id=str(client.id),
        name=client.name,
        address=request.client.host if request.client else None,
    )
    result = await scan_service.scan(data.code, data.touchpoint, actor)
    body = result.as_json()
    patient = body.pop("patient")
    return ScanResponse(**body, patient=ScannedPatient(**patient) if patient else None)


route_handlers = [card_page, card_code, print_page, reissue_page, reissue, api_scan]

tiles.register(
    Tile(
        key="ecard",
        label=lazy_gettext("My visit card"),
        hint=lazy_gettext("Show it at every desk"),
        href="/ecard",
        icon="card",
        group="visit",
        rank=1,
        elder_rank=1,
    ),
)
