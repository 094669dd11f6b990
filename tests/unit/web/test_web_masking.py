"""Names, ID numbers and phone numbers are shown masked on every screen."""

from __future__ import annotations

import pytest

from portal.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("", ""),
        ("张", "张"),
        ("张明", "张*"),
        ("王秀英", "王*英"),
        ("欧阳小明", "欧**明"),
        ("  李静  ", "李*"),
    ],
)
def test_chinese_names_of_one_to_four_characters(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Li", "L*"), ("Anna", "A**a"), ("John Smith", "J********h")],
)
def test_latin_names_keep_only_their_first_and_last_letter(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_a_masked_name_never_contains_the_middle_of_the_name() -> None:
    for name in ["王秀英", "欧阳小明", "Anna"]:
        assert name[1:-1] not in mask_name(name)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110101194403150288", "110***********0288"),
        ("11010519491231002X", "110***********002X"),
    ],
)
def test_id_numbers_show_the_region_start_and_the_last_four(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked
    assert len(masked) == 18


def test_the_birth_date_inside_an_id_number_is_hidden() -> None:
    assert "19440315" not in mask_id_number("110101194403150288")


@pytest.mark.parametrize("text", ["", "123", "1234567"])
def test_too_short_to_be_an_id_number_is_masked_entirely(text: str) -> None:
    assert mask_id_number(text) == "*" * len(text)


def test_phone_numbers_show_the_first_three_and_last_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("text", ["", "12345", "123456"])
def test_a_short_phone_is_masked_entirely(text: str) -> None:
    assert mask_phone(text) == "*" * len(text)
