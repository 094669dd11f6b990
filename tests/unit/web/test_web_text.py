"""Text from outside at the edges of normalisation: full-width, other scripts' digits, NUL,
invisible characters, very long values."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.idnumber import InvalidIdNumber, make_id_number, parse_id_number
from portal.accounts.phones import PHONE_PATTERN, normalize_phone
from portal.web.forms import FormState, InvalidInput, form_text, scanned_text
from portal.web.text import BadText, clean_text, has_control_bytes, refused_character

TODAY = date(2026, 12, 2)
ID = make_id_number("110105", date(1944, 3, 15), 28)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_full_width_digits_become_ascii() -> None:
    assert clean_text(full_width("13812345678")) == "13812345678"
    assert clean_text(full_width(ID)) == ID


def test_an_id_number_typed_in_full_width_is_the_same_id_number() -> None:
    typed = full_width(ID[:17]) + ID[17]
    assert parse_id_number(clean_text(typed), TODAY).number == ID
    # Even without the edge (a CLI import), the ID number's own normal form is ASCII.
    assert parse_id_number(typed, TODAY).number == ID


def test_a_full_width_x_check_character_is_x() -> None:
    number = next(
        make_id_number("110105", date(1950, 1, 1), n)
        for n in range(1000)
        if make_id_number("110105", date(1950, 1, 1), n).endswith("X")
    )
    assert parse_id_number(number[:17] + "Ｘ", TODAY).number == number
    assert parse_id_number(number[:17] + "x", TODAY).number == number


def test_other_scripts_digits_are_refused_not_converted() -> None:
    arabic = ID.translate(ARABIC_INDIC)
    assert clean_text(arabic) == arabic  # NFKC leaves them alone
    with pytest.raises(InvalidIdNumber) as refused:
        parse_id_number(arabic, TODAY)
    assert refused.value.reason == "shape"
    assert not PHONE_PATTERN.match(normalize_phone("13812345678".translate(ARABIC_INDIC)))
    devanagari = "१३८१२३४५६७८"
    assert not PHONE_PATTERN.match(normalize_phone(devanagari))


def test_mixed_spellings_of_one_phone_number_are_one_number() -> None:
    spellings = [
        "13812345678",
        full_width("13812345678"),
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "１３８　１２３４　５６７８",  # full-width digits, ideographic spaces
        "138１２３４5678",
    ]
    assert {normalize_phone(clean_text(s)) for s in spellings} == {"13812345678"}


@pytest.mark.parametrize(
    "text",
    [
        "a\x00b",
        "\x00",
        "王\x07秀英",
        "line\nbreak",
        "tab\there",
        "\x7f",
        "abc\u202edcba",  # right-to-left override
        "\u200b13812345678",  # zero-width space
        "\ufeffname",  # byte-order mark
        "\u2028",  # line separator
    ],
)
def test_control_and_invisible_characters_are_refused(text: str) -> None:
    with pytest.raises(BadText) as refused:
        clean_text(text)
    assert refused.value.problem == "control"


def test_line_breaks_and_tabs_are_kept_where_a_field_takes_several_lines() -> None:
    assert clean_text("first line\r\nsecond\tline", multiline=True) == "first line\r\nsecond\tline"
    with pytest.raises(BadText):
        clean_text("first\x00line", multiline=True)


def test_emoji_and_names_of_other_peoples_stay() -> None:
    assert clean_text("👨‍👩‍👧") == "👨‍👩‍👧"  # the zero-width joiner inside emoji is kept
    assert clean_text("阿卜杜·买买提") == "阿卜杜·买买提"
    assert clean_text("  张三  ") == "张三"


def test_ten_thousand_characters_are_refused_not_cut() -> None:
    with pytest.raises(BadText) as refused:
        clean_text("张" * 10_000, max_length=30)
    assert (refused.value.problem, refused.value.limit) == ("too_long", 30)
    assert clean_text("张" * 30, max_length=30) == "张" * 30


def test_length_counts_after_normalisation() -> None:
    # "㍻" (one character) is "平成" (two) after NFKC.
    with pytest.raises(BadText):
        clean_text("㍻" * 20, max_length=30)


def test_a_form_field_names_itself_when_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        form_text({"name": "王\x00秀英"}, "name", 30)
    assert refused.value.field == "name"
    form = FormState.read(
        {"name": "王\x00秀英", "phone": "１３８１２３４５６７８"}, {"name": 30, "phone": 20}
    )
    assert form.failed and set(form.errors) == {"name"}
    assert form.values == {"name": "", "phone": "13812345678"}


def test_a_field_sent_twice_counts_once_and_a_file_is_refused() -> None:
    assert form_text({"code": ["123456", "654321"]}, "code") == "123456"
    with pytest.raises(InvalidInput):
        form_text({"code": object()}, "code")


def test_a_scan_with_refused_characters_reads_as_no_code_at_all() -> None:
    assert scanned_text({"code": "YM1.K1\x00"}) == "?"
    assert scanned_text({"code": full_width("1234 5678")}) == "1234 5678"


def test_control_bytes_in_an_address() -> None:
    assert has_control_bytes(b"q=a%00b")
    assert has_control_bytes(b"next=/%09/evil")
    assert has_control_bytes(b"/board/\x00")
    assert not has_control_bytes(b"q=%E9%AB%98%E8%A1%80%E5%8E%8B")
    assert not has_control_bytes(b"q=a+b&next=%2Fpatients")


@given(st.text(max_size=200))
def test_clean_text_either_refuses_or_returns_clean_normal_text(text: str) -> None:
    try:
        cleaned = clean_text(text)
    except BadText:
        return
    assert refused_character(cleaned) is None
    assert "\x00" not in cleaned
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned) == cleaned  # normalising twice changes nothing
