"""The keyring that signs and verifies dynamic card codes, built from settings."""

from __future__ import annotations

import hashlib
import hmac

from ecard import Keyring, SigningKey
from portal.settings import Settings


def build_keyring(settings: Settings) -> Keyring:
    """Keys from PORTAL_ECARD_KEYS, or one key derived from the secret key."""
    configured = settings.ecard.keys.strip()
    if configured:
        keys = []
        for pair in configured.split(","):
            key_id, _, secret_hex = pair.strip().partition(":")
            keys.append(SigningKey(key_id.strip(), bytes.fromhex(secret_hex.strip())))
        return Keyring(keys, current=settings.ecard.current_key)
    derived = hmac.new(
        settings.app.secret_key.encode(), b"yimatong ecard signing key", hashlib.sha256
    ).digest()
    return Keyring(
        [SigningKey(settings.ecard.current_key, derived)], current=settings.ecard.current_key
    )
