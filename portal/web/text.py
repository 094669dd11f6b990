"""Text from outside, normalised once and checked once, at the edge.

Everything a person or a machine sends us (form fields, query strings, JSON strings) passes
through :func:`clean_text` before any rule sees it:

1. Unicode NFKC. A Chinese input method types full-width digits and letters (１３８…, Ｘ); NFKC
   turns them into the ASCII characters they stand for, so an elder who types １３８… still gets
   in, and an ID number typed in full-width is the same ID number (not a second patient). NFKC
   does *not* turn other scripts' digits (Arabic-Indic ٣, Devanagari ३) into ASCII: the fields
   that take numbers match ``[0-9]`` only and refuse them with their own message.
2. Refusal of what no field can hold: NUL and the other control characters (PostgreSQL cannot
   store NUL at all), and the invisible formatting characters that make two different strings
   look the same (right-to-left overrides, zero-width spaces, byte-order marks). Line breaks and
   tabs only where a field takes several lines.
3. Surrounding white space trimmed.

A value that is refused raises :class:`BadText`; the form helpers turn it into a message on the
field it came from.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote_to_bytes

MULTILINE_ALLOWED = frozenset("\n\r\t")

# Formatting characters (Unicode category Cf) that have no business in a name, a number or a
# search: bidirectional overrides and isolates, zero-width characters, the byte-order mark. The
# zero-width joiner is kept: emoji sequences use it, and it cannot reorder or hide text.
_INVISIBLE_KEPT = frozenset("\u200d")


class BadText(ValueError):
    """The text holds characters no field accepts. ``problem`` is ``control`` (a control or
    invisible formatting character) or ``too_long``."""

    def __init__(self, problem: str, limit: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.limit = limit


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character no field accepts, or None when the text is clean."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":
            if multiline and char in MULTILINE_ALLOWED:
                continue
            return char
        if category in ("Cf", "Cs", "Co", "Cn") and char not in _INVISIBLE_KEPT:
            # Cs: lone surrogates (cannot be encoded); Co/Cn: private use and unassigned.
            return char
        if category in ("Zl", "Zp") and not multiline:
            return char
    return None


def clean_text(value: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    """NFKC, refuse control and invisible characters, trim; raise BadText when refused.

    ``max_length`` counts characters after normalisation; a longer value is refused rather than
    cut (a name cut at 30 characters is a different name)."""
    text = unicodedata.normalize("NFKC", value)
    if refused_character(text, multiline=multiline) is not None:
        raise BadText("control")
    text = text.strip()
    if max_length is not None and len(text) > max_length:
        raise BadText("too_long", max_length)
    return text


def ascii_digits(text: str) -> bool:
    """True when every character is 0-9 (``str.isdigit`` also accepts ² and ٣)."""
    return text.isascii() and text.isdigit()


_CONTROL_BYTES = frozenset(range(0x20)) | {0x7F}


def has_control_bytes(raw: bytes) -> bool:
    """True when percent-decoded URL bytes hold a control character (NUL, a line break, DEL).
    No path or query parameter of ours takes one."""
    decoded = unquote_to_bytes(raw) if b"%" in raw else raw
    return any(byte in _CONTROL_BYTES for byte in decoded)
