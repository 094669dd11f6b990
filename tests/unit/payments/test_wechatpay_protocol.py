"""WeChat Pay API v3's signatures and encrypted resources, checked with ``cryptography`` on its
own and against a published AES-GCM test vector: what verifies, and everything that must not."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.payments import wechatpay as wx

MERCHANT = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PLATFORM = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
API_V3_KEY = b"0123456789abcdef0123456789abcdef"
NOW = 1_764_700_000


def test_the_request_message_is_five_lines_each_ending_in_a_line_break() -> None:
    message = wx.request_message("post", "/v3/pay/transactions/h5?x=1", "1554208460", "593B", "{}")
    assert message == b"POST\n/v3/pay/transactions/h5?x=1\n1554208460\n593B\n{}\n"
    assert wx.request_message("GET", "/v3/x", "1", "n", "") == b"GET\n/v3/x\n1\nn\n\n"


def test_a_merchants_authorization_verifies_with_its_public_key_only() -> None:
    body = json.dumps({"out_trade_no": "YMT1", "amount": {"total": 3950}})
    header = wx.authorization(
        mchid="1900000001",
        serial="MERCHANT-1",
        private_key=MERCHANT,
        method="POST",
        path="/v3/pay/transactions/h5",
        body=body,
        timestamp=str(NOW),
        nonce="N0NCE",
    )
    signed = wx.parse_authorization(header)
    assert (signed.mchid, signed.serial, signed.timestamp, signed.nonce) == (
        "1900000001",
        "MERCHANT-1",
        str(NOW),
        "N0NCE",
    )
    message = wx.request_message("POST", "/v3/pay/transactions/h5", str(NOW), "N0NCE", body)
    # cryptography on its own agrees: RSA-SHA256, PKCS#1 v1.5, base64.
    MERCHANT.public_key().verify(
        base64.b64decode(signed.signature), message, padding.PKCS1v15(), hashes.SHA256()
    )
    assert wx.verify(MERCHANT.public_key(), message, signed.signature)
    assert not wx.verify(OTHER.public_key(), message, signed.signature)
    tampered = body.replace("3950", "1")
    assert not wx.verify(
        MERCHANT.public_key(),
        wx.request_message("POST", "/v3/pay/transactions/h5", str(NOW), "N0NCE", tampered),
        signed.signature,
    )


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",timestamp="1",serial_no="s"',
        "",
    ],
)
def test_an_authorization_without_every_part_is_refused(header: str) -> None:
    with pytest.raises(wx.ProtocolError):
        wx.parse_authorization(header)


def test_a_notification_verifies_and_nothing_changed_on_the_way_does() -> None:
    body = b'{"id":"EV-1","event_type":"TRANSACTION.SUCCESS"}'
    headers = {
        k.lower(): v for k, v in wx.signed_headers(PLATFORM, "PLATFORM-1", body, str(NOW)).items()
    }
    keys = {"PLATFORM-1": PLATFORM.public_key()}
    wx.verify_signed(keys, headers, body, now=NOW)
    bad = [
        (keys, headers, body.replace(b"EV-1", b"EV-2")),  # the body changed
        ({"PLATFORM-1": OTHER.public_key()}, headers, body),  # signed by someone else
        ({"PLATFORM-2": PLATFORM.public_key()}, headers, body),  # a serial we do not hold
        (keys, {**headers, "wechatpay-nonce": "other"}, body),
        (keys, {**headers, "wechatpay-signature": "!!not base64!!"}, body),
        (keys, {k: v for k, v in headers.items() if k != "wechatpay-timestamp"}, body),
    ]
    for public_keys, sent, payload in bad:
        with pytest.raises(wx.ProtocolError):
            wx.verify_signed(public_keys, sent, payload, now=NOW)
    with pytest.raises(wx.ProtocolError, match="five minutes"):
        wx.verify_signed(keys, headers, body, now=NOW + 301)  # a replay, later


def test_aes_gcm_against_a_published_test_vector() -> None:
    # The GCM specification's test case 14: AES-256, key and IV all zero, 16 zero bytes.
    sealed = bytes.fromhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")
    resource = {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "nonce": "\x00" * 12,
        "associated_data": "",
    }
    assert wx.decrypt_resource(bytes(32), resource) == bytes(16)


def test_a_resource_round_trips_and_is_what_aesgcm_makes() -> None:
    plaintext = b'{"out_trade_no":"YMT1","trade_state":"SUCCESS"}'
    resource = wx.encrypt_resource(API_V3_KEY, plaintext, "transaction", nonce="abcdefghijkl")
    assert resource["ciphertext"] == (
        "Eu6myr+6GaECeJdOZPZ6BX5o9kuIokN5asxf+LcDvZ4NvMXeFHah9gk51fNdsfqD5fk3czBRNPjz4TPtdlWS"
    )
    assert (
        AESGCM(API_V3_KEY).decrypt(
            b"abcdefghijkl", base64.b64decode(resource["ciphertext"]), b"transaction"
        )
        == plaintext
    )
    assert wx.decrypt_resource(API_V3_KEY, resource) == plaintext


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.update(associated_data="refund"),
        lambda r: r.update(nonce="abcdefghijkm"),
        lambda r: r.update(ciphertext=r["ciphertext"][:-4] + "AAAA"),
        lambda r: r.update(ciphertext="not base64!"),
        lambda r: r.update(algorithm="AEAD_AES_128_GCM"),
        lambda r: r.pop("ciphertext"),
    ],
)
def test_a_resource_changed_on_the_way_does_not_decrypt(change: object) -> None:
    resource = wx.encrypt_resource(API_V3_KEY, b"{}", "transaction")
    change(resource)  # type: ignore[operator]
    with pytest.raises(wx.ProtocolError):
        wx.decrypt_resource(API_V3_KEY, resource)
    with pytest.raises(wx.ProtocolError):
        wx.decrypt_resource(b"x" * 32, wx.encrypt_resource(API_V3_KEY, b"{}", "transaction"))


def test_keys_travel_as_pem() -> None:
    assert (
        wx.load_private_key(wx.private_pem(MERCHANT)).private_numbers()
        == MERCHANT.private_numbers()
    )
    assert wx.load_public_key(wx.public_pem(PLATFORM.public_key())).public_numbers() == (
        PLATFORM.public_key().public_numbers()
    )


@pytest.mark.parametrize("timestamp", ["", "abc", "１７６４７０００００", "-1", "9" * 20])
def test_a_timestamp_that_is_not_a_plain_number_is_never_fresh(timestamp: str) -> None:
    assert not wx.fresh(timestamp, now=NOW)
