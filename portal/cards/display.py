"""What a card looks like on a page: shared by the card pages and the elder home."""

from __future__ import annotations

from typing import Any

import ecard
from portal.accounts.services import FamilyMember
from portal.cards.services import CardService
from portal.core.i18n import gettext as _


async def card_context(card_service: CardService, member: FamilyMember) -> dict[str, Any]:
    """Everything the card shows: the live QR (rendered once per window), barcode, digits."""
    card = await card_service.card_on_page(member.id)
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
