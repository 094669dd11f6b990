"""Card numbers: 16 digits, 15 drawn at random plus one Damm check digit.

Why Damm and not Luhn: the Damm check digit catches every single-digit error and every
transposition of two adjacent digits. Luhn misses the transposition 09 <-> 90, and those are
exactly the mistakes a person makes when reading a number off a card to the desk.

Why random and not sequential: a number allocated in sequence tells you its neighbours. These
are drawn with `secrets`, so knowing one card number says nothing about any other. The space
(9 x 10^14) makes collisions rare but not impossible: the caller stores numbers under a unique
constraint and draws again on the rare clash.
"""

from __future__ import annotations

import re
import secrets

CARD_NUMBER_LENGTH = 16

# The order-10 weakly totally anti-symmetric quasigroup from H. Michael Damm's 2004 thesis,
# the table every published implementation uses.
_DAMM_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

# ASCII digits only: str.isdigit() also accepts "²" and Arabic-Indic digits.
_DIGITS = re.compile(r"[0-9]+")
_CARD_NUMBER = re.compile(r"[1-9][0-9]{15}")


def _damm_interim(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM_TABLE[interim][ord(digit) - 48]
    return interim


def check_digit(digits: str) -> str:
    """Return the Damm check digit to append to `digits` (a non-empty string of 0-9)."""
    if not _DIGITS.fullmatch(digits):
        raise ValueError("check_digit needs a non-empty string of the digits 0-9")
    return str(_damm_interim(digits))


def is_valid_card_number(text: str) -> bool:
    """True for exactly 16 ASCII digits, the first not 0, whose Damm check digit is right.

    This is the canonical form only: no spaces, no surrounding whitespace. Typed input with
    spaces is normalised by `ecard.parse`.
    """
    if not isinstance(text, str) or not _CARD_NUMBER.fullmatch(text):
        return False
    return _damm_interim(text) == 0


def new_card_number() -> str:
    """Draw a fresh card number: a non-zero digit, 14 random digits, then the check digit.

    The caller must still check the number is not already taken (see the module docstring).
    """
    body = secrets.choice("123456789") + "".join(
        secrets.choice("0123456789") for _ in range(CARD_NUMBER_LENGTH - 2)
    )
    return body + check_digit(body)


def group_digits(number: str) -> str:
    """Group a digit string in fours for people to read: "1234 5678 9012 3456".

    Spaces already in `number` are ignored, so grouping twice gives the same result.
    """
    digits = number.replace(" ", "")
    if not _DIGITS.fullmatch(digits):
        raise ValueError("group_digits needs a string of the digits 0-9")
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
