"""Dynamic QR code text: the format, the signing keys and issuing a code.

A dynamic code reads ``YM1.<key id>.<card number>.<window>.<MAC>``, for example::

    YM1.K1.9578238789037438.58706246.N6BNIJGR2KLUHSR5

Every character is in QR's alphanumeric set (0-9, A-Z, space and ``$%*+-./:``), which packs
11 bits per two characters. The longest possible code (8-character key id, 10-digit window) is
57 characters and fits a version 3 symbol at error correction M (capacity 61); codes issued
until 2065 are 48-55 characters. Version 2 holds only 38, so the symbol is always version 3:
29 x 29 modules, 37 x 37 with the quiet zone.

* ``YM1`` names the format, so a later format can be told apart and phased in.
* The key id says which key signed the code, so keys rotate without breaking codes already on
  screens: verification looks the key up by id; issuing always uses the keyring's current key.
* The window is ``floor(unix_time / 30)``: the page shows a new code every 30 seconds.
* The MAC is HMAC-SHA256 truncated to 80 bits, written as 16 base32 characters (80 is a
  multiple of 5, so there is no padding and no spare bits that could be changed unnoticed).
  It covers the format version, key id, card number, card *generation* and window. The
  generation is not written in the code: the verifier knows the card's current generation, so
  a screenshot taken before the card was reissued stops working without the code growing.

80 bits is far beyond what an online guesser can try within the two minutes a code lives.
No personal data is in the code: the card number is a random reference, nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ecard.numbers import is_valid_card_number

FORMAT_VERSION = "YM1"
SEPARATOR = "."
WINDOW_SECONDS = 30
# A code is accepted from 3 windows before the current one to 1 window after it: a code
# shown at the very end of its window lives 90 s, one shown at its start lives 120 s, and a
# scanner whose clock runs up to 30 s behind the server's still accepts a fresh code.
ACCEPT_PAST_WINDOWS = 3
ACCEPT_FUTURE_WINDOWS = 1
MAC_BITS = 80
MAC_LENGTH = MAC_BITS // 5
KEY_ID_MAX_LENGTH = 8
MIN_SECRET_BYTES = 16
# Windows are written in decimal without leading zeros, at most 10 digits (until year ~11,000).
MAX_WINDOW = 10**10 - 1
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

_KEY_ID = re.compile(rf"[A-Z0-9]{{1,{KEY_ID_MAX_LENGTH}}}")
# Labels the MAC input so these keys can never be confused with a MAC for something else.
_MAC_DOMAIN = b"yimatong e-card code\x00"


@dataclass(frozen=True)
class SigningKey:
    """One HMAC key and the short id written into the codes it signs.

    `key_id` is 1-8 characters of A-Z and 0-9 (it travels inside the QR code); `secret` is at
    least 16 random bytes (32 recommended, e.g. ``secrets.token_bytes(32)``).
    """

    key_id: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise ValueError(f"a key id is 1-{KEY_ID_MAX_LENGTH} characters of A-Z and 0-9")
        if not isinstance(self.secret, bytes) or len(self.secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a signing secret is at least {MIN_SECRET_BYTES} bytes")


class Keyring:
    """The keys a verifier trusts, and the one key used to issue new codes.

    To rotate: add the new key and make it current; keep the old key for at least the
    acceptance period (two minutes) so codes already on screens still verify, then drop it.
    A keyring is immutable; the app builds a new one and swaps it in.
    """

    __slots__ = ("_current", "_keys")

    def __init__(self, keys: Iterable[SigningKey], *, current: str) -> None:
        by_id: dict[str, SigningKey] = {}
        for key in keys:
            if key.key_id in by_id:
                raise ValueError(f"key id {key.key_id!r} appears twice in the keyring")
            by_id[key.key_id] = key
        if current not in by_id:
            raise ValueError(f"the current key {current!r} is not in the keyring")
        self._keys = by_id
        self._current = by_id[current]

    @property
    def current(self) -> SigningKey:
        """The key new codes are signed with."""
        return self._current

    def get(self, key_id: str) -> SigningKey | None:
        """The key with this id, or None if this keyring does not trust it."""
        return self._keys.get(key_id)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __iter__(self) -> Iterator[SigningKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Keyring(key_ids={list(self._keys)!r}, current={self._current.key_id!r})"


def window_of(now: float) -> int:
    """The 30-second window a Unix time falls in: ``floor(now / 30)``.

    The app can key its render cache on ``(card, window_of(now))``: a code never changes
    within a window.
    """
    if not math.isfinite(now) or now < 0:
        raise ValueError("now must be a finite, non-negative Unix time")
    return math.floor(now / WINDOW_SECONDS)


def seconds_left(now: float) -> int:
    """Whole seconds, 1 to 30, until the next window begins and the page shows a new code.

    Suitable for a countdown and for a cache lifetime (``Cache-Control: max-age``).
    """
    window_ends = (window_of(now) + 1) * WINDOW_SECONDS
    return max(1, math.ceil(window_ends - now))


def compute_mac(key: SigningKey, card_number: str, generation: int, window: int) -> str:
    """The 16-character base32 MAC for one card generation in one window.

    Each field is length-prefixed, so no two different inputs encode to the same bytes.
    """
    fields = (FORMAT_VERSION, key.key_id, card_number, str(generation), str(window))
    message = _MAC_DOMAIN + b"".join(
        len(encoded).to_bytes(2, "big") + encoded
        for encoded in (value.encode("ascii") for value in fields)
    )
    digest = hmac.new(key.secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest[: MAC_BITS // 8]).decode("ascii")


def issue_code(keyring: Keyring, card_number: str, generation: int, now: float) -> str:
    """The dynamic code text for a card at time `now`, signed with the keyring's current key.

    `generation` is the card's current generation (0 when first issued, +1 on each reissue);
    codes from earlier generations are refused as REVOKED. Raises ValueError for a card number
    that fails its check digit, a negative generation or an impossible time: those are bugs in
    the caller, not something a patient can cause.
    """
    if not is_valid_card_number(card_number):
        raise ValueError("not a valid card number")
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        raise ValueError("a card generation is a non-negative integer")
    window = window_of(now)
    if window > MAX_WINDOW:
        raise ValueError("now is too far in the future for this code format")
    key = keyring.current
    mac = compute_mac(key, card_number, generation, window)
    return SEPARATOR.join((FORMAT_VERSION, key.key_id, card_number, str(window), mac))
