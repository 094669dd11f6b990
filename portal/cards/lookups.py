"""Read-only questions other features ask about cards, so they never query these tables.

Each takes the caller's session and only reads (inside the caller's transaction, if one is
open)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cards.models import ECard


async def patients_with_card_numbers(
    session: AsyncSession, card_numbers: list[str]
) -> dict[str, UUID]:
    """The patients these card numbers were issued to, by number. A replaced card still names
    its patient here (the hospital's records keep the number of the visit); only the desks'
    scans refuse it. Unknown numbers are left out."""
    if not card_numbers:
        return {}
    rows = await session.execute(
        select(ECard.card_number, ECard.patient_id).where(
            ECard.card_number.in_(sorted(set(card_numbers)))
        )
    )
    return {number: patient_id for number, patient_id in rows}
