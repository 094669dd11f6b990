"""WeChat Pay API v3, the parts both ends of the wire share: signatures and encrypted resources.

- **Requests** from a merchant carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",
  nonce_str="…",signature="…",timestamp="…",serial_no="…"``: an RSA-SHA256 (PKCS#1 v1.5)
  signature, base64, by the merchant's private key over five lines, each ending in ``\\n``:
  method, path with query, timestamp, nonce, body.
- **Responses and notifications** from WeChat Pay carry ``Wechatpay-Timestamp``,
  ``Wechatpay-Nonce``, ``Wechatpay-Signature`` and ``Wechatpay-Serial``: the platform's signature
  over three lines, timestamp, nonce, body (the raw bytes, verified before anything is parsed).
- A notification's ``resource`` is encrypted with AEAD_AES_256_GCM (RFC 5116) under the
  merchant's 32-byte API v3 key: base64 ciphertext with the 16-byte tag at its end, a 12-character
  nonce, and ``associated_data`` (``transaction`` or ``refund``).

Nothing here talks to the network or keeps state; the gateway adapter and the development
sandbox both use it, so the sandbox speaks the protocol exactly as a real merchant account does.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
ALGORITHM = "AEAD_AES_256_GCM"
MAX_CLOCK_SKEW_SECONDS = 300
"""A signed request or notification older or newer than five minutes is refused (replays)."""

_PARAM = re.compile(r'(\w+)="([^"]*)"')
_NONCE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class ProtocolError(Exception):
    """A signature that does not verify, a resource that does not decrypt, a header missing."""


def new_nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def request_message(method: str, path: str, timestamp: str, nonce: str, body: str) -> bytes:
    """What a merchant signs: ``path`` is the URL without scheme and host, query included."""
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What WeChat Pay signs in a response or a notification: the raw body bytes."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def fresh(timestamp: str, now: float | None = None) -> bool:
    """The timestamp is a whole number of seconds within five minutes of now."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs(int(timestamp) - (time.time() if now is None else now)) <= MAX_CLOCK_SKEW_SECONDS


def authorization(
    *,
    mchid: str,
    serial: str,
    private_key: rsa.RSAPrivateKey,
    method: str,
    path: str,
    body: str,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> str:
    """The ``Authorization`` header of a merchant's request."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or new_nonce()
    signature = sign(private_key, request_message(method, path, timestamp, nonce, body))
    return (
        f'{SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial}"'
    )


@dataclass(frozen=True)
class SignedRequest:
    mchid: str
    nonce: str
    signature: str
    timestamp: str
    serial: str


def parse_authorization(header: str) -> SignedRequest:
    """The parts of a merchant's ``Authorization`` header (ProtocolError when one is missing)."""
    scheme, _, rest = header.partition(" ")
    if scheme != SCHEME:
        raise ProtocolError(f"the authorization scheme must be {SCHEME}")
    params = dict(_PARAM.findall(rest))
    try:
        return SignedRequest(
            mchid=params["mchid"],
            nonce=params["nonce_str"],
            signature=params["signature"],
            timestamp=params["timestamp"],
            serial=params["serial_no"],
        )
    except KeyError as exc:
        raise ProtocolError(f"the authorization header has no {exc.args[0]}") from exc


def signed_headers(
    private_key: rsa.RSAPrivateKey, serial: str, body: bytes, timestamp: str | None = None
) -> dict[str, str]:
    """The headers WeChat Pay puts on a response or a notification."""
    timestamp = timestamp or str(int(time.time()))
    nonce = new_nonce()
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sign(private_key, response_message(timestamp, nonce, body)),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": SCHEME,
    }


def verify_signed(
    public_keys: dict[str, rsa.RSAPublicKey],
    headers: Any,
    body: bytes,
    now: float | None = None,
) -> None:
    """Check a response's or a notification's headers against the platform key they name;
    ProtocolError says what is wrong (a missing header, an unknown serial, a stale timestamp,
    a signature that does not verify)."""
    try:
        timestamp = headers["wechatpay-timestamp"]
        nonce = headers["wechatpay-nonce"]
        signature = headers["wechatpay-signature"]
        serial = headers["wechatpay-serial"]
    except KeyError as exc:
        raise ProtocolError(f"the {exc.args[0]} header is missing") from exc
    key = public_keys.get(serial)
    if key is None:
        raise ProtocolError("Wechatpay-Serial names no platform key we hold")
    if not fresh(timestamp, now):
        raise ProtocolError("Wechatpay-Timestamp is not within five minutes of now")
    if not verify(key, response_message(timestamp, nonce, body), signature):
        raise ProtocolError("Wechatpay-Signature does not verify")


def encrypt_resource(
    api_v3_key: bytes, plaintext: bytes, associated_data: str, nonce: str | None = None
) -> dict[str, str]:
    """A notification's ``resource``: AES-256-GCM under the API v3 key."""
    nonce = nonce or new_nonce(12)
    sealed = AESGCM(api_v3_key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return {
        "algorithm": ALGORITHM,
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "original_type": associated_data,
        "nonce": nonce,
    }


def decrypt_resource(api_v3_key: bytes, resource: dict[str, Any]) -> bytes:
    """The plaintext of a ``resource``; ProtocolError when it was not sealed under our key or
    was changed on the way."""
    if resource.get("algorithm") != ALGORITHM:
        raise ProtocolError(f"resource.algorithm must be {ALGORITHM}")
    try:
        sealed = base64.b64decode(str(resource["ciphertext"]), validate=True)
        nonce = str(resource["nonce"]).encode()
        associated = str(resource.get("associated_data") or "").encode()
        return AESGCM(api_v3_key).decrypt(nonce, sealed, associated)
    except (KeyError, ValueError, InvalidTag) as exc:
        raise ProtocolError("the resource does not decrypt under our API v3 key") from exc


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ProtocolError("the key is not an RSA private key")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ProtocolError("the key is not an RSA public key")
    return key


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
