"""Mobile phone numbers: one spelling per number, and the check every form of ours makes."""

from __future__ import annotations

import re
import unicodedata

from portal.core.errors import RuleError
from portal.core.i18n import gettext as _

PHONE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only (\d takes ٣ too)


def normalize_phone(text: str) -> str:
    """One spelling per number: NFKC (full-width １３８ → 138), no spaces or dashes, no +86."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text or "")).removeprefix("+86")


def checked_phone(text: str, field: str = "phone") -> str:
    """The normalized number; RuleError on ``field`` when it is not an 11-digit mobile number."""
    phone = normalize_phone(text)
    if not PHONE_PATTERN.match(phone):
        raise RuleError(
            _("Please enter an 11-digit mobile phone number, for example 13812345678."), field
        )
    return phone
