"""What the cards feature offers: the patient's card (``card``) and the verdict on a scanned
code at a desk (``scans``)."""

from portal.cards.services.card import CardCode, CardService, issue_card, issue_first_card
from portal.cards.services.scans import (
    ALREADY_USED,
    POLICY_REFUSED,
    TOO_FAST,
    ScanResult,
    ScanService,
    outcome_text,
)

__all__ = [
    "ALREADY_USED",
    "POLICY_REFUSED",
    "TOO_FAST",
    "CardCode",
    "CardService",
    "ScanResult",
    "ScanService",
    "issue_card",
    "issue_first_card",
    "outcome_text",
]
