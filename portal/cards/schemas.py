"""JSON shapes of the scan API (documented in the OpenAPI schema at /schema)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ecard.verify import MAX_TEXT_LENGTH
from portal.core.touchpoints import Touchpoint
from portal.web.jsonbody import TEXT_PATTERN, InputStruct

ScannedText = Annotated[
    str,
    Meta(
        max_length=MAX_TEXT_LENGTH,
        pattern=TEXT_PATTERN,
        description=(
            "What the scanner read: the QR code's text, the barcode's card number, or a typed "
            "card number (spaces and a final Enter are fine)"
        ),
        extra={
            "problem": (
                f"must be at most {MAX_TEXT_LENGTH} characters of text, without control "
                "characters (such as NUL) other than tabs and line breaks"
            )
        },
    ),
]


class ScanRequest(InputStruct):
    """A scanner's reading at a desk: the text it read (QR or barcode) or a typed card number."""

    code: ScannedText
    touchpoint: Touchpoint


class ScannedPatient(msgspec.Struct, kw_only=True):
    """Who the card belongs to, as much as the desk needs to confirm the person."""

    id: str
    name: Annotated[
        str,
        Meta(description="Masked, e.g. 张*明: the API never returns the full name"),
    ]
    sex: str
    age: int | None


class ScanResponse(msgspec.Struct, kw_only=True):
    """The verdict on a scanned code. A refused code is still a 200: the request was fine."""

    accepted: bool
    outcome: Annotated[
        str,
        Meta(
            description=(
                "accepted, malformed, bad_check_digit, forged, expired, from_the_future, revoked, "
                "unknown_card, dynamic_required (a printed/static code at a desk that needs the "
                "live code), or already_used (the same live code a second time where medicine or "
                "money is handed over)"
            )
        ),
    ]
    touchpoint: str
    kind: Annotated[
        str | None,
        Meta(description="dynamic (the phone's QR code) or static (barcode, typed number)"),
    ]
    card_number: str | None
    patient: ScannedPatient | None
    message: str
    advice: str
