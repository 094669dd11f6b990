"""The calendar file: escaping and folding by RFC 5545."""

from __future__ import annotations

from portal.booking.calendar import escape_text, fold


def test_text_values_escape_commas_semicolons_backslashes_and_newlines() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    line = "DESCRIPTION:" + "请在自助机或分诊台扫描电子就诊卡签到" * 6
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_short_lines_are_left_alone() -> None:
    assert fold("BEGIN:VEVENT") == "BEGIN:VEVENT"
