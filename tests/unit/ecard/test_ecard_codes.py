"""Issuing dynamic codes: the text format, the keys, and the 30-second windows."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecard.codes import (
    MAX_WINDOW,
    QR_ALPHANUMERIC,
    Keyring,
    SigningKey,
    compute_mac,
    issue_code,
    seconds_left,
    window_of,
)
from ecard.numbers import check_digit

CARD = "9578238789037438"
NOW = 1_761_187_380.0  # 2025-10-23 02:43:00 UTC, the first second of window 58_706_246
KEY = SigningKey("K1", b"k1 secret for tests only, 32 B!!")
KEYRING = Keyring([KEY], current="K1")

card_numbers = st.from_regex(r"[1-9][0-9]{14}", fullmatch=True).map(lambda b: b + check_digit(b))
times = st.floats(min_value=1.5e9, max_value=3.0e9)
CODE_SHAPE = re.compile(r"YM1\.K1\.([0-9]{16})\.([1-9][0-9]*)\.([A-Z2-7]{16})")


def test_a_code_names_its_format_key_card_and_window_then_its_mac() -> None:
    code = issue_code(KEYRING, CARD, 0, NOW)
    assert code == f"YM1.K1.{CARD}.58706246.{compute_mac(KEY, CARD, 0, 58_706_246)}"
    assert len(code) == 49


@given(card_numbers, st.integers(min_value=0, max_value=10_000), times)
def test_every_code_is_in_the_qr_alphanumeric_set(card: str, generation: int, now: float) -> None:
    code = issue_code(KEYRING, card, generation, now)
    match = CODE_SHAPE.fullmatch(code)
    assert match is not None
    assert match[1] == card
    assert int(match[2]) == window_of(now)
    assert set(code) <= QR_ALPHANUMERIC


def test_the_generation_changes_the_mac_but_is_not_written_in_the_code() -> None:
    first, reissued = issue_code(KEYRING, CARD, 0, NOW), issue_code(KEYRING, CARD, 1, NOW)
    assert first.rsplit(".", 1)[0] == reissued.rsplit(".", 1)[0]
    assert first != reissued


def test_the_same_card_gets_the_same_code_all_window_long_and_a_new_one_after() -> None:
    assert issue_code(KEYRING, CARD, 0, NOW) == issue_code(KEYRING, CARD, 0, NOW + 29.999)
    assert issue_code(KEYRING, CARD, 0, NOW) != issue_code(KEYRING, CARD, 0, NOW + 30)


def test_new_codes_are_signed_with_the_current_key() -> None:
    new_key = SigningKey("K2", b"k2 secret for tests only, 32 B!!")
    code = issue_code(Keyring([KEY, new_key], current="K2"), CARD, 0, NOW)
    assert code.startswith("YM1.K2.")


def test_windows_are_thirty_seconds_and_the_countdown_runs_thirty_to_one() -> None:
    assert window_of(NOW) == 58_706_246
    assert window_of(NOW + 29.9) == 58_706_246
    assert window_of(NOW - 0.1) == 58_706_245
    assert seconds_left(NOW) == 30
    assert seconds_left(NOW + 0.5) == 30
    assert seconds_left(NOW + 1) == 29
    assert seconds_left(NOW + 29.2) == 1


@given(times)
def test_the_countdown_always_shows_between_one_and_thirty_seconds(now: float) -> None:
    assert 1 <= seconds_left(now) <= 30
    assert window_of(now + seconds_left(now)) == window_of(now) + 1


@pytest.mark.parametrize("now", [float("nan"), float("inf"), -1.0])
def test_impossible_times_are_a_programming_error(now: float) -> None:
    with pytest.raises(ValueError):
        window_of(now)


def test_issuing_refuses_a_bad_card_number_generation_or_time() -> None:
    with pytest.raises(ValueError):
        issue_code(KEYRING, "9578238789037439", 0, NOW)  # wrong check digit
    with pytest.raises(ValueError):
        issue_code(KEYRING, CARD, -1, NOW)
    with pytest.raises(ValueError):
        issue_code(KEYRING, CARD, True, NOW)
    with pytest.raises(ValueError):
        issue_code(KEYRING, CARD, 0, (MAX_WINDOW + 1) * 30.0)


@pytest.mark.parametrize("key_id", ["", "k1", "K.1", "TOOLONGID", "K 1", "键"])
def test_a_key_id_is_one_to_eight_capitals_or_digits(key_id: str) -> None:
    with pytest.raises(ValueError):
        SigningKey(key_id, b"x" * 32)


def test_a_signing_secret_is_at_least_sixteen_bytes_and_never_printed() -> None:
    with pytest.raises(ValueError):
        SigningKey("K1", b"short")
    with pytest.raises(ValueError):
        SigningKey("K1", "a text secret is a mistake")  # type: ignore[arg-type]
    assert "secret" not in repr(KEY) and "tests only" not in repr(KEY)
    assert "tests only" not in repr(KEYRING)


def test_a_keyring_needs_unique_ids_and_its_current_key() -> None:
    with pytest.raises(ValueError):
        Keyring([KEY, SigningKey("K1", b"another secret of 32 bytes!!!!!!")], current="K1")
    with pytest.raises(ValueError):
        Keyring([KEY], current="K2")


def test_a_keyring_finds_keys_by_id() -> None:
    old = SigningKey("K0", b"k0 secret for tests only, 32 B!!")
    keyring = Keyring([old, KEY], current="K1")
    assert keyring.current is KEY
    assert keyring.get("K0") is old
    assert keyring.get("K9") is None
    assert "K0" in keyring and "K9" not in keyring
    assert [key.key_id for key in keyring] == ["K0", "K1"]
    assert len(keyring) == 2
