"""Card numbers: random, 16 digits, and a Damm check digit that catches a person's slips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecard.numbers import check_digit, group_digits, is_valid_card_number, new_card_number

card_bodies = st.from_regex(r"[1-9][0-9]{14}", fullmatch=True)
card_numbers = card_bodies.map(lambda body: body + check_digit(body))


def test_check_digit_matches_the_published_damm_example() -> None:
    # The worked example from the Damm algorithm's literature: 572 -> 4.
    assert check_digit("572") == "4"
    # A number that already ends in its check digit needs no more: its own check digit is 0.
    assert check_digit("5724") == "0"


def test_a_thousand_new_card_numbers_are_valid_and_look_right() -> None:
    numbers = {new_card_number() for _ in range(1000)}
    assert len(numbers) == 1000, "15 random digits should not repeat in a thousand draws"
    for number in numbers:
        assert is_valid_card_number(number)
        assert len(number) == 16
        assert number[0] != "0"


def test_new_card_numbers_are_not_handed_out_in_sequence() -> None:
    first, second = int(new_card_number()), int(new_card_number())
    assert abs(first - second) > 1000


@given(card_numbers)
def test_every_number_with_its_check_digit_validates(number: str) -> None:
    assert is_valid_card_number(number)


@given(card_numbers)
def test_every_single_digit_mistake_is_caught(number: str) -> None:
    for position, original in enumerate(number):
        for digit in "0123456789":
            if digit != original:
                mistyped = number[:position] + digit + number[position + 1 :]
                assert not is_valid_card_number(mistyped), mistyped


@given(card_numbers)
def test_every_swap_of_two_neighbouring_digits_is_caught(number: str) -> None:
    for position in range(len(number) - 1):
        left, right = number[position], number[position + 1]
        if left != right:
            swapped = number[:position] + right + left + number[position + 2 :]
            assert not is_valid_card_number(swapped), swapped


def test_the_swap_luhn_misses_is_caught() -> None:
    body = "12345678901209"  # "09" -> "90" keeps the Luhn sum; it must not keep Damm's
    number = "9" + body + check_digit("9" + body)
    swapped = number.replace("09", "90", 1)
    assert is_valid_card_number(number)
    assert not is_valid_card_number(swapped)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "123456789012345",  # 15 digits
        "12345678901234567",  # 17 digits
        "0" + "00000000000000" + check_digit("0" * 15),  # a valid Damm sum, but starts with 0
        "1234 5678 9012 3456",  # spaces are for people; the canonical form has none
        " " + "1" * 15 + check_digit("1" * 15),
        "１２３４５６７８９０１２３４５６",  # full-width digits
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦",  # Arabic-Indic digits
        None,
        1234567890123456,
    ],
)
def test_anything_but_sixteen_plain_digits_is_not_a_card_number(text: object) -> None:
    assert is_valid_card_number(text) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("digits", ["", "12a", "١٢", "1 2"])
def test_check_digit_refuses_non_digits(digits: str) -> None:
    with pytest.raises(ValueError):
        check_digit(digits)


def test_card_numbers_are_grouped_in_fours_for_reading_aloud() -> None:
    assert group_digits("1234567890123456") == "1234 5678 9012 3456"
    assert group_digits("1234 5678 9012 3456") == "1234 5678 9012 3456"
    assert group_digits("123456") == "1234 56"


def test_grouping_refuses_letters() -> None:
    with pytest.raises(ValueError):
        group_digits("1234-5678")
