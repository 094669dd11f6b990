"""Resident ID numbers (居民身份证号码, GB 11643-1999): checksum, birth date and sex."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: \d also takes ٣ and ３


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-digit ID number; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sex(StrEnum):
    """As the 17th digit of the ID number says (odd: male), stored as its value."""

    MALE = "M"
    FEMALE = "F"


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: Sex

    def age_on(self, today: date) -> int:
        return age_on(self.birth_date, today)


def check_char(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize(text: str) -> str:
    """NFKC (full-width ３ and Ｘ become 3 and X), no spaces, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def parse_id_number(text: str, today: date) -> IdNumber:
    """Validate an ID number and read the birth date and sex from it.

    Raises ``InvalidIdNumber`` with one of the reasons "length", "shape", "checksum", "birth_date".
    """
    number = normalize(text)
    if len(number) != 18:
        raise InvalidIdNumber("length")
    if not _SHAPE.match(number):
        raise InvalidIdNumber("shape")
    if check_char(number[:17]) != number[17]:
        raise InvalidIdNumber("checksum")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("birth_date") from exc
    if born > today or born.year < 1890:
        raise InvalidIdNumber("birth_date")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return IdNumber(number=number, birth_date=born, sex=sex)


def age_on(birth_date: date, today: date) -> int:
    """Whole years of age on a given day."""
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


def make_id_number(region: str, birth_date: date, sequence: int) -> str:
    """Build a valid ID number (demo data and tests); odd sequence numbers are male."""
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
