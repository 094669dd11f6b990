"""Turning a scanned text into an answer for a desk, always written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

import ecard
from portal.accounts.idnumber import Sex, age_on
from portal.accounts.services import PatientService
from portal.audit.services import record
from portal.cards.models import ECard, LiveCodeUse
from portal.core.actor import Actor
from portal.core.clock import Clock
from portal.core.i18n import gettext as _
from portal.core.masking import mask_name
from portal.core.touchpoints import TOUCHPOINTS, Touchpoint
from portal.db.transactions import begin_write

POLICY_REFUSED = "dynamic_required"
"""Outcome recorded when a valid static code is scanned where only the live code is allowed."""
TOO_FAST = "too_fast"
"""A desk scanning faster than the rate limit allows (not a verdict on the card)."""
ALREADY_USED = "already_used"
"""Outcome when the same live code is scanned twice where only the live code is accepted."""


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
    def male(self) -> bool:
        return self.sex == Sex.MALE

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

    async def _first_use(
        self, touchpoint: Touchpoint, card_number: str, parsed: ecard.ParsedCode
    ) -> bool:
        """Record this live code's use at this desk; False when it was used there before.

        ``INSERT … ON CONFLICT DO NOTHING`` on the unique (desk, card, window): of N scans of one
        code racing each other on PostgreSQL, one inserts and the others wait for it, then insert
        nothing. (On SQLite the write lock taken up front already queues them.)"""
        dialect = self.session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        inserted = await self.session.scalar(
            insert(LiveCodeUse)
            .values(
                id=uuid7(),
                touchpoint=touchpoint.value,
                card_number=card_number,
                window=parsed.window,
                created_at=self.clock.now(),
                updated_at=self.clock.now(),
            )
            .on_conflict_do_nothing()
            .returning(LiveCodeUse.id)
        )
        return inserted is not None

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
            assert isinstance(parsed, ecard.ParsedCode)  # a card was looked up: a parsed code
            if not await self._first_use(touchpoint, card.card_number, parsed):
                outcome = ALREADY_USED
        patient = None
        if outcome == ecard.Outcome.ACCEPTED and card is not None:
            patient = await PatientService(self.session).patient(card.patient_id)
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
