"""The electronic visit card (电子就诊卡): card numbers, codes and their SVG.

A card shows two codes, neither holding any personal data:

* A **barcode** (Code128) of the 16-digit card number, printed underneath in groups of four.
  The card number is 15 random digits and a Damm check digit, so every single mistyped digit
  and every swap of two neighbouring digits is caught. This is the *static* code: it is also
  what a person reads out or types.
* A **dynamic QR code** that changes every 30 seconds::

      YM1.<key id>.<card number>.<window>.<MAC>
      e.g. YM1.K1.9578238789037438.58706246.N6BNIJGR2KLUHSR5

  ``YM1`` is the format version; the key id names the signing key (keys rotate without
  breaking codes in flight); the window is ``floor(unix_time / 30)``; the MAC is 80 bits of
  HMAC-SHA256 over version, key id, card number, card generation and window, in base32. All
  characters are in QR's alphanumeric set, so the symbol is version 3 at error correction M.
  A code is accepted from 3 windows back to 1 window ahead: about 90-120 seconds.

Verification gives one `Verification` with an `Outcome`; ``parse`` + ``check`` let an async app
do its own card lookup in between, ``verify`` composes them. This package never imports the
web app: it is a plain library the app uses.
"""

from ecard.codes import (
    ACCEPT_FUTURE_WINDOWS,
    ACCEPT_PAST_WINDOWS,
    FORMAT_VERSION,
    WINDOW_SECONDS,
    Keyring,
    SigningKey,
    issue_code,
    seconds_left,
    window_of,
)
from ecard.numbers import check_digit, group_digits, is_valid_card_number, new_card_number
from ecard.render import barcode_svg, qr_svg
from ecard.verify import (
    CardState,
    CodeKind,
    Outcome,
    ParsedCode,
    Verification,
    check,
    parse,
    verify,
)

__all__ = [
    "ACCEPT_FUTURE_WINDOWS",
    "ACCEPT_PAST_WINDOWS",
    "FORMAT_VERSION",
    "WINDOW_SECONDS",
    "CardState",
    "CodeKind",
    "Keyring",
    "Outcome",
    "ParsedCode",
    "SigningKey",
    "Verification",
    "barcode_svg",
    "check",
    "check_digit",
    "group_digits",
    "is_valid_card_number",
    "issue_code",
    "new_card_number",
    "parse",
    "qr_svg",
    "seconds_left",
    "verify",
    "window_of",
]
