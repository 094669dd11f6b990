"""JSON shapes of the scan API (documented in the OpenAPI schema at /schema)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.touchpoints import Touchpoint


@dataclass
class ScanRequest:
    """A scanner's reading at a desk: the text it read (QR or barcode) or a typed card number."""

    code: str
    touchpoint: Touchpoint


@dataclass
class ScannedPatient:
    id: str
    name: str
    """Masked, e.g. 张*明: the desk confirms the person, the API never returns the full name."""
    sex: str
    age: int | None


@dataclass
class ScanResponse:
    accepted: bool
    outcome: str
    """accepted, malformed, bad_check_digit, forged, expired, from_the_future, revoked,
    unknown_card, dynamic_required (a printed/static code at a desk that needs the live code), or
    already_used (the same live code a second time where medicine or money is handed over)."""
    touchpoint: str
    kind: str | None
    """dynamic (the QR code from the phone) or static (the barcode / typed card number)."""
    card_number: str | None
    patient: ScannedPatient | None
    message: str
    advice: str
