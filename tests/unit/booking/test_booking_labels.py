"""Places left in words, titles and periods, in both languages."""

from __future__ import annotations

from portal.booking.labels import period_label, places_left, title_label
from portal.core.i18n import use_locale


def test_places_left_in_chinese_words() -> None:
    with use_locale("zh_Hans"):
        assert places_left(3) == "还剩 3 个号"
        assert places_left(0) != places_left(1)
        assert "满" in places_left(0)


def test_places_left_in_english_words() -> None:
    with use_locale("en"):
        assert places_left(1) == "1 place left"
        assert places_left(3) == "3 places left"
        assert places_left(0) == "Fully booked"


def test_titles_and_periods_are_translated_and_unknown_codes_kept() -> None:
    with use_locale("zh_Hans"):
        assert title_label("chief") == "主任医师"
        assert period_label("morning") == "上午"
        assert title_label("visiting") == "visiting"
