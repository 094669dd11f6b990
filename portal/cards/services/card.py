"""The patient's card: one active card per patient, its live code, and reissue."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import ecard
from portal.accounts.events import PatientAdded
from portal.audit.services import record
from portal.cards.models import ECard
from portal.core.actor import Actor
from portal.core.clock import Clock
from portal.db.generations import KEEP_NOTHING, ReadCache
from portal.db.transactions import begin_write


async def issue_card(session: AsyncSession, patient_id: UUID, generation: int = 0) -> ECard:
    """Give a patient a new active card with a fresh random number (drawn again on a clash)."""
    for _attempt in range(5):
        number = ecard.new_card_number()
        if await session.scalar(select(ECard.id).where(ECard.card_number == number)) is None:
            card = ECard(
                patient_id=patient_id, card_number=number, generation=generation, active=True
            )
            session.add(card)
            await session.flush()
            return card
    raise RuntimeError("could not draw a unique card number")  # 1 in 10^15 odds, five times over


async def issue_first_card(session: AsyncSession, added: PatientAdded) -> None:
    """Every new patient gets a card in the transaction that registers them."""
    await issue_card(session, added.patient_id)


@dataclass(frozen=True)
class CardCode:
    """What the card page shows for one window: the QR text and how long it has left."""

    text: str
    window: int
    seconds_left: int


class CardService:
    """The patient's side: their card, its live code, and reissue."""

    def __init__(
        self,
        session: AsyncSession,
        keyring: ecard.Keyring,
        clock: Clock,
        cache: ReadCache | None = None,
    ) -> None:
        self.session = session
        self.keyring = keyring
        self.clock = clock
        self.cache = cache or KEEP_NOTHING

    async def active_card(self, patient_id: UUID) -> ECard:
        card = await self.session.scalar(
            select(ECard).where(ECard.patient_id == patient_id, ECard.active.is_(True))
        )
        if card is None:  # a patient from before cards existed: issue one now
            await begin_write(self.session)
            card = await self.session.scalar(
                select(ECard).where(ECard.patient_id == patient_id, ECard.active.is_(True))
            )
            if card is None:
                card = await issue_card(self.session, patient_id)
            await self.session.commit()
        return card

    async def card_on_page(self, patient_id: UUID) -> ECard:
        """``active_card`` for a page that only shows it: kept between requests while no card
        has been issued, reissued or revoked (portal/db/generations.py)."""
        return await self.cache.get(
            ("card", patient_id),
            (ECard.__tablename__,),
            lambda: self.active_card(patient_id),
            self.session,
            rows=lambda card: [card],
        )

    def live_code(self, card: ECard) -> CardCode:
        now = self.clock.now().timestamp()
        return CardCode(
            text=ecard.issue_code(self.keyring, card.card_number, card.generation, now),
            window=ecard.window_of(now),
            seconds_left=ecard.seconds_left(now),
        )

    async def reissue(self, patient_id: UUID, actor: Actor) -> ECard:
        """Revoke the current card (every earlier code, screenshots and printouts included, stops
        working at once) and issue a new number with the next generation."""
        await self.active_card(patient_id)
        await begin_write(self.session)
        old = await self.session.scalar(
            select(ECard)
            .where(ECard.patient_id == patient_id, ECard.active.is_(True))
            .execution_options(populate_existing=True)
        )
        if old is None:  # replaced a moment ago by another request
            await self.session.rollback()
            return await self.active_card(patient_id)
        revoked = await self.session.execute(
            update(ECard)
            .where(ECard.id == old.id, ECard.active.is_(True))
            .values(active=False, revoked_at=self.clock.now())
        )
        if revoked.rowcount != 1:  # type: ignore[attr-defined]
            await self.session.rollback()  # someone else reissued at the same moment
            return await self.active_card(patient_id)
        card = await issue_card(self.session, patient_id, generation=old.generation + 1)
        await record(
            self.session,
            actor,
            "card_reissue",
            "ACCEPTED",
            patient_id=patient_id,
            card_number=old.card_number,
            detail=f"new card {card.card_number}",
        )
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            return await self.active_card(patient_id)
        return card
