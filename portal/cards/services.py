"""Card rules: one active card per patient, reissue, the code shown on the phone, and turning a
scanned text into an answer for a desk (always written to the audit log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import ecard
from portal.accounts.idnumber import age_on
from portal.accounts.models import Patient
from portal.accounts.services import patient_added_hooks
from portal.audit.models import AuditEvent
from portal.audit.services import Actor, record
from portal.cards.models import ECard
from portal.clock import Clock
from portal.db.transactions import begin_write
from portal.touchpoints import TOUCHPOINTS, Touchpoint
from portal.web.i18n import gettext as _
from portal.web.masking import mask_name

POLICY_REFUSED = "dynamic_required"
"""Outcome recorded when a valid static code is scanned where only the live code is allowed."""
TOO_FAST = "too_fast"
"""A desk scanning faster than the rate limit allows (not a verdict on the card)."""
ALREADY_USED = "already_used"
"""Outcome when the same live code is scanned twice where only the live code is accepted."""


async def issue_card(session: AsyncSession, patient: Patient, generation: int = 0) -> ECard:
    """Give a patient a new active card with a fresh random number (drawn again on a clash)."""
    for _attempt in range(5):
        number = ecard.new_card_number()
        if await session.scalar(select(ECard.id).where(ECard.card_number == number)) is None:
            card = ECard(
                patient_id=patient.id, card_number=number, generation=generation, active=True
            )
            session.add(card)
            await session.flush()
            return card
    raise RuntimeError("could not draw a unique card number")  # 1 in 10^15 odds, five times over


async def _issue_first_card(session: AsyncSession, patient: Patient) -> None:
    await issue_card(session, patient)


patient_added_hooks.append(_issue_first_card)


@dataclass(frozen=True)
class CardCode:
    """What the card page shows for one window: the QR text and how long it has left."""

    text: str
    window: int
    seconds_left: int


class CardService:
    """The patient's side: their card, its live code, and reissue."""

    def __init__(self, session: AsyncSession, keyring: ecard.Keyring, clock: Clock) -> None:
        self.session = session
        self.keyring = keyring
        self.clock = clock

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
                patient = await self.session.get_one(Patient, patient_id)
                card = await issue_card(self.session, patient)
            await self.session.commit()
        return card

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
        patient = await self.session.get_one(Patient, patient_id)
        card = await issue_card(self.session, patient, generation=old.generation + 1)
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


@dataclass(frozen=True)
class ScanResult:
    """The answer a desk gets for one scan. Plain values only: it stays readable after the
    database session that produced it has moved on (a desk action may roll back)."""

    outcome: str
    touchpoint: Touchpoint
    kind: str | None = None
    card_number: str | None = None
    patient_id: UUID | None = None
    patient_name: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    today: date | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == ecard.Outcome.ACCEPTED

    @property
    def age(self) -> int | None:
        return age_on(self.birth_date, self.today) if self.birth_date and self.today else None

    @property
    def masked_name(self) -> str | None:
        return mask_name(self.patient_name) if self.patient_name else None

    @property
    def title(self) -> str:
        return outcome_text(self.outcome)[0]

    @property
    def advice(self) -> str:
        return outcome_text(self.outcome)[1]

    def as_json(self) -> dict[str, Any]:
        """What /api/v1/scans returns: never the full name or ID number."""
        patient = None
        if self.accepted and self.patient_id:
            patient = {
                "id": str(self.patient_id),
                "name": self.masked_name,
                "sex": self.sex,
                "age": self.age,
            }
        return {
            "accepted": self.accepted,
            "outcome": self.outcome,
            "touchpoint": self.touchpoint.value,
            "kind": self.kind,
            "card_number": self.card_number if self.accepted else None,
            "patient": patient,
            "message": self.title,
            "advice": self.advice,
        }


def outcome_text(outcome: str) -> tuple[str, str]:
    """What happened and what the desk should do next, in the desk's language."""
    texts = {
        ecard.Outcome.ACCEPTED: (_("Card accepted"), ""),
        ecard.Outcome.MALFORMED: (
            _("This is not a visit card code"),
            _("Scan the code on the patient's e-card again, or type the 16-digit card number."),
        ),
        ecard.Outcome.BAD_CHECK_DIGIT: (
            _("The card number has a typing mistake"),
            _("Check the 16 digits with the patient and type them again."),
        ),
        ecard.Outcome.FORGED: (
            _("This code is not genuine"),
            _(
                "Ask the patient to open the e-card in the app and scan again. If it happens again, call the IT desk."
            ),
        ),
        ecard.Outcome.EXPIRED: (
            _("This code has expired (it may be a screenshot)"),
            _(
                "Ask the patient to open the e-card on the phone so it shows a fresh code, then scan again."
            ),
        ),
        ecard.Outcome.FROM_THE_FUTURE: (
            _("This code's time is ahead of the hospital's clock"),
            _(
                "Ask the patient to refresh the code. If it happens again, the phone's clock may be wrong."
            ),
        ),
        ecard.Outcome.REVOKED: (
            _("This card was replaced and no longer works"),
            _(
                "Ask the patient to open the new card in the app, or find them by ID card at the registration desk."
            ),
        ),
        ecard.Outcome.UNKNOWN_CARD: (
            _("No patient has this card number"),
            _("Check the number, or ask the patient to show the e-card in the app."),
        ),
        TOO_FAST: (
            _("Too many scans in a minute"),
            _("Please wait a moment, then scan the card again."),
        ),
        ALREADY_USED: (
            _("This code was already used at this desk"),
            _(
                "Ask the patient to show the code on the phone again: it changes every 30 seconds. "
                "A photo or screenshot of the code cannot be used here."
            ),
        ),
        POLICY_REFUSED: (
            _("This desk needs the live code from the phone"),
            _(
                "Ask the patient to open the e-card in the app and show the QR code. A printed card "
                "or barcode cannot be used here."
            ),
        ),
    }
    return texts.get(outcome, texts[ecard.Outcome.MALFORMED])


class ScanService:
    """Turns scanned text into a ScanResult for a named touchpoint and audits every scan."""

    def __init__(self, session: AsyncSession, keyring: ecard.Keyring, clock: Clock) -> None:
        self.session = session
        self.keyring = keyring
        self.clock = clock

    async def scan(self, text: str, touchpoint: Touchpoint, actor: Actor) -> ScanResult:
        await begin_write(self.session)  # it reads the card, then writes the audit line
        now = self.clock.now()
        parsed = ecard.parse(text)
        card: ECard | None = None
        if isinstance(parsed, ecard.Verification):
            verdict = parsed
        else:
            card = await self.session.scalar(
                select(ECard).where(ECard.card_number == parsed.card_number)
            )
            state = (
                ecard.CardState(generation=card.generation, active=card.active) if card else None
            )
            verdict = ecard.check(parsed, self.keyring, state, now.timestamp())
        outcome = str(verdict.outcome)
        if (
            verdict.accepted
            and TOUCHPOINTS[touchpoint].dynamic_only
            and verdict.kind != ecard.CodeKind.DYNAMIC
        ):
            outcome = POLICY_REFUSED
        detail = str(verdict.kind) if verdict.kind else None
        if verdict.kind == ecard.CodeKind.DYNAMIC and not isinstance(parsed, ecard.Verification):
            detail = f"{verdict.kind}:{parsed.window}"
        if (
            outcome == ecard.Outcome.ACCEPTED
            and TOUCHPOINTS[touchpoint].dynamic_only
            and card is not None
        ):
            # Where medicine is handed out or money taken, each live code works once: a photo of
            # the phone taken at the window cannot be used again a minute later.
            seen = await self.session.scalar(
                select(AuditEvent.id)
                .where(
                    AuditEvent.action == "scan",
                    AuditEvent.touchpoint == touchpoint.value,
                    AuditEvent.card_number == card.card_number,
                    AuditEvent.outcome == ecard.Outcome.ACCEPTED,
                    AuditEvent.detail == detail,
                )
                .limit(1)
            )
            if seen is not None:
                outcome = ALREADY_USED
        patient = None
        if outcome == ecard.Outcome.ACCEPTED and card is not None:
            patient = await self.session.get(Patient, card.patient_id)
        await record(
            self.session,
            actor,
            "scan",
            outcome,
            touchpoint=touchpoint.value,
            patient_id=card.patient_id if card else None,
            card_number=verdict.card_number or (card.card_number if card else None),
            detail=detail,
            at=now,
        )
        await self.session.commit()
        return ScanResult(
            outcome=outcome,
            touchpoint=touchpoint,
            kind=str(verdict.kind) if verdict.kind else None,
            card_number=card.card_number if card else None,
            patient_id=patient.id if patient else None,
            patient_name=patient.name if patient else None,
            sex=patient.sex if patient else None,
            birth_date=patient.birth_date if patient else None,
            today=self.clock.today(),
        )
