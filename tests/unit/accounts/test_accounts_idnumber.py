"""Resident ID numbers (GB 11643-1999): checksum, birth date, sex and age."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.idnumber import (
    InvalidIdNumber,
    age_on,
    check_char,
    make_id_number,
    parse_id_number,
)

TODAY = date(2026, 11, 24)
# The worked example printed in GB 11643-1999 itself: a woman born on 31 December 1949.
STANDARD_EXAMPLE = "11010519491231002X"


def reason(text: str, today: date = TODAY) -> str:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(text, today)
    return caught.value.reason


def test_the_standards_own_example_with_check_character_x_is_valid() -> None:
    parsed = parse_id_number(STANDARD_EXAMPLE, TODAY)
    assert parsed.number == STANDARD_EXAMPLE
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"
    assert parsed.age_on(TODAY) == 76


def test_check_character_follows_mod_11_2() -> None:
    assert check_char("11010519491231002") == "X"
    assert check_char("11010119440315028") == "8"
    # Every remainder 0..10 maps to its own character, X standing for 10.
    seen = {check_char(f"11010119800101{n:03d}") for n in range(200)}
    assert seen == set("10X98765432")


def test_a_lowercase_x_and_spaces_are_accepted_and_tidied() -> None:
    parsed = parse_id_number(" 110105 19491231 002x ", TODAY)
    assert parsed.number == STANDARD_EXAMPLE


@pytest.mark.parametrize("sequence", [1, 17, 999])
def test_an_odd_sequence_number_is_a_man(sequence: int) -> None:
    assert parse_id_number(make_id_number("110101", date(1980, 5, 1), sequence), TODAY).sex == "M"


@pytest.mark.parametrize("sequence", [0, 28, 998])
def test_an_even_sequence_number_is_a_woman(sequence: int) -> None:
    assert parse_id_number(make_id_number("110101", date(1980, 5, 1), sequence), TODAY).sex == "F"


@pytest.mark.parametrize(
    "text", ["", "1101051949123100", STANDARD_EXAMPLE[:17], STANDARD_EXAMPLE + "1", "123"]
)
def test_a_number_that_is_not_18_characters_long_is_refused_for_its_length(text: str) -> None:
    assert reason(text) == "length"


@pytest.mark.parametrize(
    "text", ["1101051949123100A2", "X1010519491231002X", "11010519491231002Y", "11010519491231-02X"]
)
def test_letters_anywhere_but_a_final_x_are_refused_for_their_shape(text: str) -> None:
    assert reason(text) == "shape"


@pytest.mark.parametrize("last", [c for c in "0123456789X" if c != "X"])
def test_every_wrong_check_character_is_refused(last: str) -> None:
    assert reason(STANDARD_EXAMPLE[:17] + last) == "checksum"


def test_two_swapped_neighbouring_digits_are_caught() -> None:
    number = make_id_number("110101", date(1944, 3, 15), 28)
    swapped = number[:3] + number[4] + number[3] + number[5:]
    assert swapped != number
    assert reason(swapped) == "checksum"


def _with_birth(text: str) -> str:
    """A number with a correct check character around the given yyyymmdd."""
    first17 = f"110101{text}123"
    return first17 + check_char(first17)


@pytest.mark.parametrize(
    "birth",
    [
        "19440230",  # 30 February
        "19441301",  # month 13
        "19440100",  # day 0
        "19000229",  # 1900 was not a leap year
        "20270101",  # after today
        "18891231",  # before anyone living was born
    ],
)
def test_a_birth_date_that_is_not_real_is_refused(birth: str) -> None:
    assert reason(_with_birth(birth)) == "birth_date"


def test_29_february_of_a_leap_year_is_a_real_birthday() -> None:
    assert parse_id_number(_with_birth("20000229"), TODAY).birth_date == date(2000, 2, 29)


def test_someone_born_today_is_valid_and_zero_years_old() -> None:
    parsed = parse_id_number(_with_birth(TODAY.strftime("%Y%m%d")), TODAY)
    assert parsed.age_on(TODAY) == 0


def test_age_goes_up_on_the_birthday_not_the_day_before() -> None:
    born = date(1966, 11, 24)
    assert age_on(born, date(2026, 11, 23)) == 59
    assert age_on(born, date(2026, 11, 24)) == 60
    assert age_on(born, date(2027, 11, 23)) == 60


def test_a_leap_day_baby_is_a_year_older_on_1_march_in_common_years() -> None:
    born = date(1964, 2, 29)
    assert age_on(born, date(2025, 2, 28)) == 60
    assert age_on(born, date(2025, 3, 1)) == 61
    assert age_on(born, date(2028, 2, 28)) == 63
    assert age_on(born, date(2028, 2, 29)) == 64


@given(
    region=st.integers(110000, 659999).map(str),
    born=st.dates(min_value=date(1890, 1, 1), max_value=TODAY),
    sequence=st.integers(0, 999),
)
def test_every_number_make_id_number_creates_parses_back(
    region: str, born: date, sequence: int
) -> None:
    number = make_id_number(region, born, sequence)
    parsed = parse_id_number(number, TODAY)
    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if sequence % 2 else "F")
    assert 0 <= parsed.age_on(TODAY) <= TODAY.year - born.year


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(0, 999),
    position=st.integers(0, 16),
    shift=st.integers(1, 9),
)
def test_any_single_mistyped_digit_is_caught(
    born: date, sequence: int, position: int, shift: int
) -> None:
    number = make_id_number("310104", born, sequence)
    digit = str((int(number[position]) + shift) % 10)
    mistyped = number[:position] + digit + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        parse_id_number(mistyped, TODAY)
