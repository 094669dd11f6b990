"""The patient's card pages (/ecard …): the card, its refreshing code, a printable card, reissue."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.accounts.dependencies import provide_patient_service
from portal.accounts.services import FamilyMember, PatientService
from portal.cards.dependencies import provide_card_service
from portal.cards.display import card_context
from portal.cards.services import CardService
from portal.core.errors import NotFound
from portal.core.i18n import gettext as _
from portal.settings import Settings
from portal.web.auth import patient_actor, provide_account_id, requires_patient_login
from portal.web.forms import form_text, named_id
from portal.web.redirects import redirect_to
from portal.web.shell import shell_of

PatientParam = Annotated[str | None, QueryParameter(name="patient")]
"""Whose card: a family member's id (``?patient=…``); the current patient when absent."""

dependencies = {
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
    "card_service": Provide(provide_card_service),
}
guards = [requires_patient_login]
NO_STORE = {"Cache-Control": "no-store"}


async def _chosen_member(
    request: Request[Any, Any, Any], account_id: UUID, patients: PatientService, patient: str | None
) -> tuple[FamilyMember | None, list[FamilyMember]]:
    """The family member whose card to show: the one asked for, else the current patient."""
    family = await patients.family_on_page(account_id)
    wanted = named_id(patient)
    if wanted is not None:
        return await patients.member_of(account_id, wanted), family
    current = shell_of(request).patient_id
    chosen = next((m for m in family if str(m.id) == current), family[0] if family else None)
    return chosen, family


def _add_someone_first(request: Request[Any, Any, Any]) -> Redirect:
    return redirect_to(request, "patient-new", {"first": 1})


@get("/ecard", name="ecard", guards=guards, dependencies=dependencies)
async def card_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
    patient: PatientParam = None,
    reissued: FromQuery[bool] = False,
) -> Template | Redirect:
    """The current patient's card, full width, with a one-tap switch between family members."""
    member, family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return _add_someone_first(request)
    context = await card_context(card_service, member)
    return Template(
        "cards/card.html",
        context={**context, "family": family, "reissued": reissued},
        headers=NO_STORE,
    )


@get("/ecard/code", name="ecard-code", guards=guards, dependencies=dependencies)
async def card_code(
    request: HTMXRequest,
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
    patient: PatientParam = None,
) -> Template | Redirect:
    """The refreshing code fragment (htmx); a normal request gets the whole card page."""
    if not request.htmx:
        return redirect_to(request, "ecard", {"patient": patient})
    member, _family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return _add_someone_first(request)
    context = await card_context(card_service, member)
    return Template("cards/_code.html", context=context, headers=NO_STORE)


@get("/ecard/print", name="ecard-print", guards=guards, dependencies=dependencies)
async def print_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
    settings: NamedDependency[Settings],
    patient: PatientParam = None,
    size: FromQuery[str] = "a6",
) -> Template | Redirect:
    """A printable card (A6 card or 80 mm receipt) with the barcode, for elders without a phone."""
    member, _family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return _add_someone_first(request)
    context = await card_context(card_service, member)
    hospital = settings.app.hospital_name or _("Yimatong hospital")
    return Template(
        "cards/print.html",
        context={**context, "size": "receipt" if size == "receipt" else "a6", "hospital": hospital},
    )


@get("/ecard/reissue", name="ecard-reissue-confirm", guards=guards, dependencies=dependencies)
async def reissue_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    patient: PatientParam = None,
) -> Template | Redirect:
    """Say plainly what a reissue does before doing it."""
    member, _family = await _chosen_member(request, account_id, patient_service, patient)
    if member is None:
        return _add_someone_first(request)
    return Template("cards/reissue.html", context={"member": member})


@post("/ecard/reissue", name="ecard-reissue", guards=guards, dependencies=dependencies)
async def reissue(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    card_service: NamedDependency[CardService],
) -> Redirect:
    """Lost phone: revoke every earlier code at once and issue a new card number."""
    wanted = named_id(form_text(await request.form(), "patient", 64))
    if wanted is None:
        raise NotFound()
    member = await patient_service.member_of(account_id, wanted)
    await card_service.reissue(member.id, patient_actor(request, account_id))
    return redirect_to(request, "ecard", {"patient": member.id, "reissued": 1})


route_handlers = [card_page, card_code, print_page, reissue_page, reissue]
