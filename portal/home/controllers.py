"""Home (standard or elder) and settings. Preference switches are plain forms that work without JS."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from portal.accounts.dependencies import provide_account_service, provide_patient_service
from portal.accounts.relationships import Relationship
from portal.accounts.services import AccountService, PatientService
from portal.cards.dependencies import provide_card_service
from portal.cards.display import card_context
from portal.cards.services import CardService
from portal.core.clock import Clock
from portal.core.i18n import normalize_locale, set_locale
from portal.settings import Settings
from portal.web.auth import remember_preferences, requires_patient_login
from portal.web.forms import form_text
from portal.web.redirects import redirect_to, safe_next
from portal.web.shell import normalize_mode, preference_cookies, shell_of
from portal.web.tiles import HomeTiles


def provide_tiles(request: ASGIConnection[Any, Any, Any, Any]) -> HomeTiles:
    """Every feature's home tiles (app.py gathers them from the declarations once)."""
    return cast(HomeTiles, request.app.state.tiles)


dependencies = {
    "patient_service": Provide(provide_patient_service),
    "account_service": Provide(provide_account_service),
    "card_service": Provide(provide_card_service),
    "tiles": Provide(provide_tiles, sync_to_thread=False),
}


async def _elder_offer(
    request: Request[Any, Any, Any],
    patients: PatientService,
    accounts: AccountService,
    clock: Clock,
    elder_age: int,
) -> bool:
    """Offer elder mode once to a patient aged 60+ who has not answered yet (never a pop-up)."""
    shell = shell_of(request)
    if not shell.logged_in or shell.elder:
        return False
    account_id = UUID(shell.account_id)
    if await accounts.elder_offer_answered(account_id):
        return False
    today = clock.today()
    family = await patients.family_on_page(account_id)
    return any(m.relationship == Relationship.SELF and m.age(today) >= elder_age for m in family)


@get("/", name="home", dependencies=dependencies)
async def home(
    request: Request[Any, Any, Any],
    patient_service: NamedDependency[PatientService],
    account_service: NamedDependency[AccountService],
    card_service: NamedDependency[CardService],
    tiles: NamedDependency[HomeTiles],
    settings: NamedDependency[Settings],
    clock: NamedDependency[Clock],
) -> Template:
    """Standard home: services grouped as patients think of them. Elder home: the card and big tiles."""
    shell = shell_of(request)
    offer = await _elder_offer(
        request, patient_service, account_service, clock, settings.login.elder_age
    )
    context: dict[str, Any] = {
        "groups": tiles.grouped(),
        "elder_tiles": tiles.for_elders(),
        "offer_elder_mode": offer,
        "family": [],
    }
    if shell.logged_in:
        family = await patient_service.family_on_page(UUID(shell.account_id))
        context["family"] = family
        current = next((m for m in family if str(m.id) == shell.patient_id), None)
        if shell.elder and current is not None:
            # Elder home: the card itself comes first, ready to show at the desk.
            context["elder_card"] = await card_context(card_service, current)
    return Template("home/elder.html" if shell.elder else "home/standard.html", context=context)


@get("/settings", name="settings")
async def settings_page() -> Template:
    return Template("home/settings.html")


async def _save(
    request: Request[Any, Any, Any],
    account_service: AccountService,
    *,
    mode: str | None = None,
    locale: str | None = None,
) -> None:
    """Remember a preference in the session and on the account (the cookie is set by the caller).

    Choosing a mode also answers the elder-mode offer: it is not shown again."""
    remember_preferences(request, mode=mode, locale=locale)
    shell = shell_of(request)
    if shell.logged_in:
        await account_service.save_preferences(
            UUID(shell.account_id),
            mode=mode,
            locale=locale,
            elder_offer_answered=True if mode is not None else None,
        )


@post("/settings/mode", name="settings-mode", dependencies=dependencies)
async def set_mode(
    request: Request[Any, Any, Any],
    account_service: NamedDependency[AccountService],
    settings: NamedDependency[Settings],
) -> Redirect:
    """Elder mode on or off; remembered in a cookie and on the account."""
    form = await request.form()
    mode = normalize_mode(form_text(form, "mode"))
    await _save(request, account_service, mode=mode)
    return Redirect(
        safe_next(form_text(form, "next")),
        status_code=303,
        cookies=preference_cookies(mode=mode, secure=settings.app.is_production),
    )


@post("/settings/language", name="settings-language", dependencies=dependencies)
async def set_language(
    request: Request[Any, Any, Any],
    account_service: NamedDependency[AccountService],
    settings: NamedDependency[Settings],
) -> Redirect:
    """中文 or English; remembered in a cookie and on the account."""
    form = await request.form()
    locale = normalize_locale(form_text(form, "locale"))
    await _save(request, account_service, locale=locale)
    set_locale(locale)
    return Redirect(
        safe_next(form_text(form, "next")),
        status_code=303,
        cookies=preference_cookies(locale=locale, secure=settings.app.is_production),
    )


@post(
    "/settings/elder-offer",
    name="settings-elder-offer",
    dependencies=dependencies,
    guards=[requires_patient_login],
)
async def decline_elder_offer(
    request: Request[Any, Any, Any], account_service: NamedDependency[AccountService]
) -> Redirect:
    """ "No, thanks": the offer is not shown again (the switch stays in the header and settings)."""
    shell = shell_of(request)
    await account_service.save_preferences(UUID(shell.account_id), elder_offer_answered=True)
    return redirect_to(request, "home")


route_handlers = [home, settings_page, set_mode, set_language, decline_elder_offer]
