"""Reading a scanned or typed code and deciding whether to accept it.

Two steps, so the async app never has to hand a database call to synchronous code:

1. ``parse(text)`` needs nothing but the text. It returns a `ParsedCode`, or a finished
   `Verification` (MALFORMED or BAD_CHECK_DIGIT) when the text cannot be a code at all.
2. The app looks the card up (``await``-ing its database as it likes) and calls
   ``check(parsed, keyring, state, now)``.

``verify(text, keyring, lookup, now)`` composes the two for synchronous callers and tests.

Whatever arrives, the answer is a `Verification`, never an exception: a scanner can send
anything, and the desk must get a clear message. (A failing `lookup` is the caller's own
error and does propagate.)

Two kinds of code are read:

* STATIC: the bare 16-digit card number, which is what the barcode carries and what a person
  types. Spaces anywhere are allowed ("1234 5678 9012 3456"). A static code cannot be
  revoked by reissuing a card (the number stays the same), only by deactivating the card;
  that is why touchpoints that hand out medicine or take money accept dynamic codes only.
* DYNAMIC: ``YM1.<key id>.<card number>.<window>.<MAC>`` (see `ecard.codes`).

Tolerated: whitespace around the text (including the ideographic space) and lowercase ASCII
letters (some USB scanners send lowercase). Anything else unusual, including any non-ASCII
character inside the text, is MALFORMED.

The order of the checks on a dynamic code is deliberate:

1. Unknown key id -> FORGED: we cannot tell it apart from an invention.
2. Unknown card -> UNKNOWN_CARD (the MAC cannot be checked without the card's generation).
3. MAC. It is checked before the time and the card's status, so that FORGED is reported for
   an invented code even if it also names an expired window or a deactivated card: a forgery
   should be called a forgery. A MAC that matches one of the card's earlier generations is a
   screenshot taken before the card was reissued -> REVOKED. (Only the most recent
   `MAX_EARLIER_GENERATIONS` are tried, so a scan costs bounded work.)
4. Deactivated card -> REVOKED, even for a fresh code: the card itself is no longer valid.
5. Window: older than 3 windows -> EXPIRED; more than 1 window ahead -> FROM_THE_FUTURE.

REVOKED wins over EXPIRED because "this card was replaced" tells the desk and the patient
what to do; "expired" would send them to refresh a screenshot that can never work.
"""

from __future__ import annotations

import enum
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from ecard.codes import (
    ACCEPT_FUTURE_WINDOWS,
    ACCEPT_PAST_WINDOWS,
    FORMAT_VERSION,
    KEY_ID_MAX_LENGTH,
    MAC_LENGTH,
    Keyring,
    compute_mac,
    window_of,
)
from ecard.numbers import CARD_NUMBER_LENGTH, is_valid_card_number

# No valid code is longer than 57 characters; refuse silly input before doing any work on it.
MAX_TEXT_LENGTH = 256
MAX_EARLIER_GENERATIONS = 64

_STATIC = re.compile(r"[0-9 ]+")
_DYNAMIC = re.compile(
    re.escape(FORMAT_VERSION)
    + rf"\.(?P<key_id>[A-Z0-9]{{1,{KEY_ID_MAX_LENGTH}}})"
    + r"\.(?P<card_number>[0-9]{16})"
    # Decimal without leading zeros, so each window has exactly one spelling.
    + r"\.(?P<window>0|[1-9][0-9]{0,9})"
    + rf"\.(?P<mac>[A-Z2-7]{{{MAC_LENGTH}}})"
)


class Outcome(enum.StrEnum):
    """What a scan amounts to. The string values are stable, for audit logs and templates."""

    ACCEPTED = "accepted"
    MALFORMED = "malformed"
    BAD_CHECK_DIGIT = "bad_check_digit"
    FORGED = "forged"
    EXPIRED = "expired"
    FROM_THE_FUTURE = "from_the_future"
    REVOKED = "revoked"
    UNKNOWN_CARD = "unknown_card"


class CodeKind(enum.StrEnum):
    """Whether the code was the time-limited signed QR code or the bare card number."""

    DYNAMIC = "dynamic"
    STATIC = "static"


@dataclass(frozen=True)
class CardState:
    """What the app's database knows about a card, as far as codes are concerned.

    `generation` goes up by one each time the card is reissued (a lost phone, a suspected
    screenshot); `active` is False once the card is revoked altogether.
    """

    generation: int
    active: bool

    def __post_init__(self) -> None:
        if isinstance(self.generation, bool) or not isinstance(self.generation, int):
            raise TypeError("a card generation is an int")
        if self.generation < 0:
            raise ValueError("a card generation is never negative")


@dataclass(frozen=True)
class ParsedCode:
    """A code that is well formed. Nothing about it is trusted yet: see `check`.

    For a STATIC code only `card_number` is set.
    """

    kind: CodeKind
    card_number: str
    key_id: str | None = None
    window: int | None = None
    mac: str | None = None


@dataclass(frozen=True)
class Verification:
    """The one answer to "may this code be used?".

    `card_number` is the number the code *names*, whenever the text was well formed enough to
    name one. It is authenticated only when `accepted` is True; otherwise keep it for the audit
    log, never to look up whose card it is. `kind` is None only when the text is MALFORMED.
    """

    outcome: Outcome
    card_number: str | None = None
    kind: CodeKind | None = None

    @property
    def accepted(self) -> bool:
        """True only for ACCEPTED. Touchpoints that need a dynamic code also check `kind`."""
        return self.outcome is Outcome.ACCEPTED


_MALFORMED = Verification(Outcome.MALFORMED)


def parse(text: object) -> ParsedCode | Verification:
    """Read scanned or typed text without trusting it and without any lookup.

    Returns a `ParsedCode`, or a `Verification` with outcome MALFORMED or BAD_CHECK_DIGIT.
    Never raises, whatever `text` is (even not a string).
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        return _MALFORMED
    text = text.strip()
    # ASCII only, so that upper() below changes a-z and nothing else ("ß" -> "SS" would not do).
    if not text.isascii():
        return _MALFORMED
    text = text.upper()

    if _STATIC.fullmatch(text):
        digits = text.replace(" ", "")
        if len(digits) != CARD_NUMBER_LENGTH:
            return _MALFORMED
        if not is_valid_card_number(digits):
            return Verification(Outcome.BAD_CHECK_DIGIT, kind=CodeKind.STATIC)
        return ParsedCode(CodeKind.STATIC, digits)

    match = _DYNAMIC.fullmatch(text)
    if match is None:
        return _MALFORMED
    card_number = match["card_number"]
    if not is_valid_card_number(card_number):
        return Verification(Outcome.BAD_CHECK_DIGIT, kind=CodeKind.DYNAMIC)
    return ParsedCode(
        CodeKind.DYNAMIC,
        card_number,
        key_id=match["key_id"],
        window=int(match["window"]),
        mac=match["mac"],
    )


def check(
    parsed: ParsedCode, keyring: Keyring, state: CardState | None, now: float
) -> Verification:
    """Decide on a parsed code, given the card's state (None if no such card) and the time.

    See the module docstring for the order of the checks and why.
    """
    kind, card_number = parsed.kind, parsed.card_number

    def verdict(outcome: Outcome) -> Verification:
        return Verification(outcome, card_number, kind)

    if kind is CodeKind.STATIC:
        if state is None:
            return verdict(Outcome.UNKNOWN_CARD)
        return verdict(Outcome.ACCEPTED if state.active else Outcome.REVOKED)

    key_id, window, mac = parsed.key_id, parsed.window, parsed.mac
    if key_id is None or window is None or mac is None:
        return verdict(Outcome.MALFORMED)  # only a hand-built ParsedCode can get here
    key = keyring.get(key_id)
    if key is None:
        return verdict(Outcome.FORGED)
    if state is None:
        return verdict(Outcome.UNKNOWN_CARD)

    # Newest generation first: a genuine current code costs one HMAC.
    oldest = max(0, state.generation - MAX_EARLIER_GENERATIONS)
    signed_for = next(
        (
            generation
            for generation in range(state.generation, oldest - 1, -1)
            if hmac.compare_digest(compute_mac(key, card_number, generation, window), mac)
        ),
        None,
    )
    if signed_for is None:
        return verdict(Outcome.FORGED)
    if signed_for != state.generation:
        return verdict(Outcome.REVOKED)
    if not state.active:
        return verdict(Outcome.REVOKED)

    current = window_of(now)
    if window < current - ACCEPT_PAST_WINDOWS:
        return verdict(Outcome.EXPIRED)
    if window > current + ACCEPT_FUTURE_WINDOWS:
        return verdict(Outcome.FROM_THE_FUTURE)
    return verdict(Outcome.ACCEPTED)


def verify(
    text: object,
    keyring: Keyring,
    lookup: Callable[[str], CardState | None],
    now: float,
) -> Verification:
    """Parse and check in one call, for synchronous callers.

    `lookup(card_number)` returns the card's `CardState`, or None if there is no such card.
    It is called at most once, and only for a well-formed number with a valid check digit.
    """
    parsed = parse(text)
    if isinstance(parsed, Verification):
        return parsed
    return check(parsed, keyring, lookup(parsed.card_number), now)
