"""Verifying scanned and typed codes: every way a code can be wrong gets its own outcome."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecard.codes import QR_ALPHANUMERIC, Keyring, SigningKey, issue_code
from ecard.numbers import check_digit, group_digits
from ecard.verify import (
    MAX_EARLIER_GENERATIONS,
    CardState,
    CodeKind,
    Outcome,
    ParsedCode,
    Verification,
    check,
    parse,
    verify,
)

CARD = "9578238789037438"
OTHER_CARD = "4720583919265540"
NOW = 1_761_187_380.0  # the first second of a window
K1 = SigningKey("K1", b"k1 secret for tests only, 32 B!!")
K2 = SigningKey("K2", b"k2 secret for tests only, 32 B!!")
KEYRING = Keyring([K1, K2], current="K1")

card_numbers = st.from_regex(r"[1-9][0-9]{14}", fullmatch=True).map(lambda b: b + check_digit(b))
generations = st.integers(min_value=0, max_value=50)
times = st.floats(min_value=1.5e9, max_value=3.0e9)


Lookup = Callable[[str], CardState | None]


def cards(known: dict[str, CardState] | None = None) -> Lookup:
    """A card lookup over a fixed set of cards, standing in for the app's database."""
    return (known or {}).get


def one_card(card: str, generation: int = 0, active: bool = True) -> Lookup:
    return cards({card: CardState(generation, active)})


def outcome_of(text: object, lookup: Lookup, now: float = NOW) -> Outcome:
    return verify(text, KEYRING, lookup, now).outcome


# --- accepted -------------------------------------------------------------------------------


def test_a_fresh_dynamic_code_is_accepted_and_names_its_card() -> None:
    code = issue_code(KEYRING, CARD, 3, NOW)
    result = verify(code, KEYRING, one_card(CARD, 3), NOW)
    assert result == Verification(Outcome.ACCEPTED, CARD, CodeKind.DYNAMIC)
    assert result.accepted


@pytest.mark.parametrize(
    "scanned",
    [
        lambda code: code.lower(),  # some USB scanners send lowercase
        lambda code: code + "\r\n",  # and a line ending
        lambda code: "\t " + code + " ",
        lambda code: "\u3000" + code,  # the ideographic space from a Chinese IME
    ],
)
def test_scanner_quirks_are_tolerated(scanned: Callable[[str], str]) -> None:
    code = issue_code(KEYRING, CARD, 0, NOW)
    assert outcome_of(scanned(code), one_card(CARD)) is Outcome.ACCEPTED


@pytest.mark.parametrize(
    "typed", [CARD, group_digits(CARD), f"  {group_digits(CARD)}\n", "9578  2387 89037438"]
)
def test_the_card_number_alone_is_accepted_as_a_static_code(typed: str) -> None:
    result = verify(typed, KEYRING, one_card(CARD, generation=7), NOW)
    assert result == Verification(Outcome.ACCEPTED, CARD, CodeKind.STATIC)


@given(card_numbers, generations, times, st.floats(min_value=0, max_value=89.99))
def test_a_code_is_accepted_for_at_least_ninety_seconds(
    card: str, generation: int, issued: float, age: float
) -> None:
    code = issue_code(KEYRING, card, generation, issued)
    assert outcome_of(code, one_card(card, generation), issued + age) is Outcome.ACCEPTED


@given(card_numbers, times, st.floats(min_value=0, max_value=29.99))
def test_a_scanner_clock_up_to_thirty_seconds_behind_still_accepts(
    card: str, issued: float, behind: float
) -> None:
    code = issue_code(KEYRING, card, 0, issued)
    assert outcome_of(code, one_card(card), issued - behind) is Outcome.ACCEPTED


# --- refused: time --------------------------------------------------------------------------


@given(card_numbers, times, st.floats(min_value=120, max_value=1e6))
def test_a_code_older_than_two_minutes_has_expired(card: str, issued: float, age: float) -> None:
    code = issue_code(KEYRING, card, 0, issued)
    assert outcome_of(code, one_card(card), issued + age) is Outcome.EXPIRED


@given(card_numbers, times, st.floats(min_value=60, max_value=1e6))
def test_a_code_a_minute_or_more_ahead_is_from_the_future(
    card: str, issued: float, ahead: float
) -> None:
    code = issue_code(KEYRING, card, 0, issued)
    assert outcome_of(code, one_card(card), issued - ahead) is Outcome.FROM_THE_FUTURE


def test_the_exact_edges_of_the_acceptance_period() -> None:
    code = issue_code(KEYRING, CARD, 0, NOW)  # the first second of its window
    assert outcome_of(code, one_card(CARD), NOW + 119.999) is Outcome.ACCEPTED
    assert outcome_of(code, one_card(CARD), NOW + 120) is Outcome.EXPIRED
    late = issue_code(KEYRING, CARD, 0, NOW + 29.999)  # the last moment of the same window
    assert outcome_of(late, one_card(CARD), NOW + 119.999) is Outcome.ACCEPTED
    assert outcome_of(code, one_card(CARD), NOW - 30) is Outcome.ACCEPTED
    assert outcome_of(code, one_card(CARD), NOW - 30.001) is Outcome.FROM_THE_FUTURE


# --- refused: tampering and forgery ---------------------------------------------------------

replacement_characters = st.one_of(
    st.sampled_from(sorted(QR_ALPHANUMERIC) + list("abcxyz0129_,;|\t\n")),
    st.characters(),
)


@given(card_numbers, generations, st.data())
def test_changing_any_single_character_of_a_code_is_refused(
    card: str, generation: int, data: st.DataObject
) -> None:
    code = issue_code(KEYRING, card, generation, NOW)
    position = data.draw(st.integers(min_value=0, max_value=len(code) - 1), label="position")
    original = code[position]
    character = data.draw(replacement_characters, label="character")
    # Lowercase for uppercase is the one change we accept on purpose (scanner quirk).
    assume(character != original and not (character.isascii() and character.upper() == original))
    tampered = code[:position] + character + code[position + 1 :]

    outcome = outcome_of(tampered, one_card(card, generation))

    assert outcome in {Outcome.MALFORMED, Outcome.BAD_CHECK_DIGIT, Outcome.FORGED}


@settings(max_examples=30)
@given(card_numbers, generations, times)
def test_every_single_character_change_is_refused_exhaustively(
    card: str, generation: int, now: float
) -> None:
    code = issue_code(KEYRING, card, generation, now)
    lookup = one_card(card, generation)
    for position, original in enumerate(code):
        for character in sorted(QR_ALPHANUMERIC - {original}):
            tampered = code[:position] + character + code[position + 1 :]
            outcome = outcome_of(tampered, lookup, now)
            assert outcome in {Outcome.MALFORMED, Outcome.BAD_CHECK_DIGIT, Outcome.FORGED}, tampered


@given(card_numbers, times, st.integers(min_value=-(10**7), max_value=10**7).filter(bool))
def test_moving_a_code_to_another_window_is_forged_even_if_that_window_is_current(
    card: str, issued: float, shift: int
) -> None:
    prefix, window, mac = issue_code(KEYRING, card, 0, issued).rsplit(".", 2)
    moved = f"{prefix}.{int(window) + shift}.{mac}"
    now_in_that_window = issued + shift * 30
    assert outcome_of(moved, one_card(card), now_in_that_window) is Outcome.FORGED


@given(card_numbers, generations)
def test_a_code_from_a_key_we_do_not_trust_is_forged(card: str, generation: int) -> None:
    impostor = SigningKey("K1", b"someone else's secret, 32 bytes!")
    code = issue_code(Keyring([impostor], current="K1"), card, generation, NOW)
    assert outcome_of(code, one_card(card, generation)) is Outcome.FORGED

    unknown = SigningKey("K9", b"someone else's secret, 32 bytes!")
    code = issue_code(Keyring([unknown], current="K9"), card, generation, NOW)
    assert outcome_of(code, one_card(card, generation)) is Outcome.FORGED


def test_the_key_id_is_signed_too_so_a_shared_secret_cannot_be_relabelled() -> None:
    # A misconfiguration (one secret under two ids) must not let a code change its key id.
    secret = b"one secret pasted under two ids!"
    keyring = Keyring([SigningKey("OLD", secret), SigningKey("NEW", secret)], current="OLD")
    relabelled = issue_code(keyring, CARD, 0, NOW).replace("YM1.OLD.", "YM1.NEW.")
    assert verify(relabelled, keyring, one_card(CARD), NOW).outcome is Outcome.FORGED


@given(card_numbers, card_numbers)
def test_a_code_moved_to_another_card_is_forged_or_unknown(card: str, other: str) -> None:
    assume(card != other)
    moved = issue_code(KEYRING, card, 0, NOW).replace(card, other)
    both = cards({card: CardState(0, True), other: CardState(0, True)})
    assert outcome_of(moved, both) is Outcome.FORGED
    assert outcome_of(moved, one_card(card)) is Outcome.UNKNOWN_CARD


@given(card_numbers, generations, st.integers(min_value=1, max_value=MAX_EARLIER_GENERATIONS))
def test_a_screenshot_from_before_the_card_was_reissued_is_revoked(
    card: str, generation: int, reissues: int
) -> None:
    old = issue_code(KEYRING, card, generation, NOW)
    assert outcome_of(old, one_card(card, generation + reissues)) is Outcome.REVOKED
    # Even once it has expired: "replaced" tells the desk more than "expired" would.
    assert outcome_of(old, one_card(card, generation + reissues), NOW + 600) is Outcome.REVOKED


@given(card_numbers, generations, st.integers(min_value=1, max_value=5))
def test_a_code_for_a_generation_the_card_never_had_is_forged(
    card: str, generation: int, ahead: int
) -> None:
    code = issue_code(KEYRING, card, generation + ahead, NOW)
    assert outcome_of(code, one_card(card, generation)) is Outcome.FORGED


def test_only_the_most_recent_earlier_generations_are_tried() -> None:
    oldest = issue_code(KEYRING, CARD, 0, NOW)
    current = MAX_EARLIER_GENERATIONS + 1
    assert outcome_of(oldest, one_card(CARD, current)) is Outcome.FORGED


def test_a_revoked_card_is_refused_whichever_code_it_shows() -> None:
    revoked = one_card(CARD, generation=2, active=False)
    assert outcome_of(issue_code(KEYRING, CARD, 2, NOW), revoked) is Outcome.REVOKED
    assert outcome_of(CARD, revoked) is Outcome.REVOKED
    assert verify(CARD, KEYRING, revoked, NOW).kind is CodeKind.STATIC


def test_a_forgery_is_called_a_forgery_even_for_a_revoked_card_or_an_old_window() -> None:
    forged = issue_code(Keyring([SigningKey("K1", b"x" * 32)], current="K1"), CARD, 0, NOW)
    assert outcome_of(forged, one_card(CARD, active=False)) is Outcome.FORGED
    assert outcome_of(forged, one_card(CARD), NOW + 3600) is Outcome.FORGED


def test_an_unknown_card_number_is_reported_as_such() -> None:
    nobody = cards()
    assert outcome_of(CARD, nobody) is Outcome.UNKNOWN_CARD
    assert outcome_of(issue_code(KEYRING, CARD, 0, NOW), nobody) is Outcome.UNKNOWN_CARD


# --- rotation -------------------------------------------------------------------------------


def test_codes_in_flight_survive_a_key_rotation_until_the_old_key_is_dropped() -> None:
    before = Keyring([K1], current="K1")
    code = issue_code(before, CARD, 0, NOW)

    rotated = Keyring([K1, K2], current="K2")
    assert verify(code, rotated, one_card(CARD), NOW + 30).accepted
    assert issue_code(rotated, CARD, 0, NOW + 30).startswith("YM1.K2.")

    retired = Keyring([K2], current="K2")
    assert verify(code, retired, one_card(CARD), NOW + 30).outcome is Outcome.FORGED


# --- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("", Outcome.MALFORMED),
        ("   ", Outcome.MALFORMED),
        ("957823878903743", Outcome.MALFORMED),  # 15 digits
        ("9578-2387-8903-7438", Outcome.MALFORMED),
        ("９５７８２３８７８９０３７４３８", Outcome.MALFORMED),  # full-width digits
        ("9578238789037439", Outcome.BAD_CHECK_DIGIT),
        ("9578 2387 8903 7483", Outcome.BAD_CHECK_DIGIT),  # the last two digits swapped
        ("YM2.K1.9578238789037438.58706246.N6BNIJGR2KLUHSR5", Outcome.MALFORMED),
        ("YM1.K1.9578238789037438.058706246.N6BNIJGR2KLUHSR5", Outcome.MALFORMED),
        ("YM1.K1.9578238789037438.58706246.N6BNIJGR2KLUHSR", Outcome.MALFORMED),
        ("YM1.K1.9578238789037438.58706246.N6BNIJGR2KLUHSR1", Outcome.MALFORMED),
        ("YM1.K1.9578238789037438 .58706246.N6BNIJGR2KLUHSR5", Outcome.MALFORMED),
        ("YM1.K1.9578238789037483.58706246.N6BNIJGR2KLUHSR5", Outcome.BAD_CHECK_DIGIT),
        ("https://example.com/?card=9578238789037438", Outcome.MALFORMED),
        ("9" * 10_000, Outcome.MALFORMED),
        (None, Outcome.MALFORMED),
        (b"9578238789037438", Outcome.MALFORMED),
        (9578238789037438, Outcome.MALFORMED),
    ],
)
def test_odd_input_gets_a_clear_outcome(text: object, outcome: Outcome) -> None:
    assert outcome_of(text, one_card(CARD)) is outcome


@given(st.one_of(st.text(), st.text(alphabet=sorted(QR_ALPHANUMERIC) + list("abc \n"))))
def test_random_text_never_raises_and_never_gets_in(text: str) -> None:
    result = verify(text, KEYRING, cards(), NOW)
    assert isinstance(result, Verification)
    assert not result.accepted
    assert (result.kind is None) == (result.outcome is Outcome.MALFORMED)


def test_no_lookup_is_made_for_text_that_is_not_a_card_number() -> None:
    def lookup(number: str) -> CardState | None:
        raise AssertionError(f"looked up {number}")

    assert verify("9578238789037439", KEYRING, lookup, NOW).outcome is Outcome.BAD_CHECK_DIGIT
    assert verify("hello", KEYRING, lookup, NOW).outcome is Outcome.MALFORMED


# --- the two-step API for the async app -----------------------------------------------------


def test_parse_then_check_lets_the_caller_look_the_card_up_itself() -> None:
    parsed = parse("  " + issue_code(KEYRING, CARD, 1, NOW).lower())
    assert isinstance(parsed, ParsedCode)
    assert (parsed.kind, parsed.card_number, parsed.key_id) == (CodeKind.DYNAMIC, CARD, "K1")

    state = {CARD: CardState(1, True)}.get(parsed.card_number)  # stands in for an awaited query
    assert check(parsed, KEYRING, state, NOW).accepted


def test_parse_answers_straight_away_when_there_is_nothing_to_look_up() -> None:
    assert parse("nonsense") == Verification(Outcome.MALFORMED)
    assert parse("9578238789037439") == Verification(Outcome.BAD_CHECK_DIGIT, None, CodeKind.STATIC)
    assert parse(group_digits(CARD)) == ParsedCode(CodeKind.STATIC, CARD)


def test_outcomes_have_stable_names_for_the_audit_log() -> None:
    assert [outcome.value for outcome in Outcome] == [
        "accepted",
        "malformed",
        "bad_check_digit",
        "forged",
        "expired",
        "from_the_future",
        "revoked",
        "unknown_card",
    ]
    assert Outcome.ACCEPTED == "accepted"


def test_a_card_generation_is_never_negative() -> None:
    with pytest.raises(ValueError):
        CardState(-1, True)
