"""Locales, and dates, times and money formatted by Babel for the active locale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from portal.core.i18n import (
    format_clock,
    format_day,
    format_full_date,
    format_money,
    gettext,
    html_lang,
    lazy_gettext,
    ngettext,
    normalize_locale,
    use_locale,
)

TUESDAY = date(2026, 11, 24)
LIMIT_MESSAGE = "An account can manage at most %(count)d people. Remove someone first."


@pytest.fixture
def zh() -> Iterator[None]:
    with use_locale("zh_Hans"):
        yield


@pytest.fixture
def en() -> Iterator[None]:
    with use_locale("en"):
        yield


@pytest.mark.parametrize(
    ("value", "locale"),
    [
        ("zh_Hans", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("ZH_HANS", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        (" en ", "en"),
    ],
)
def test_what_a_form_cookie_or_header_says_maps_to_one_of_our_locales(
    value: str, locale: str
) -> None:
    assert normalize_locale(value) == locale


@pytest.mark.parametrize("value", [None, "", "fr", "ja_JP", "x" * 200, "'; drop table"])
def test_anything_else_falls_back_to_the_default(value: str | None) -> None:
    assert normalize_locale(value) == "zh_Hans"
    assert normalize_locale(value, default="en") == "en"


def test_html_lang_is_bcp_47() -> None:
    assert html_lang("zh_Hans") == "zh-Hans"
    assert html_lang("en") == "en"


def test_today_and_tomorrow_are_named_in_chinese(zh: None) -> None:
    assert format_day(TUESDAY, TUESDAY) == "今天 11月24日周二"
    assert format_day(date(2026, 11, 25), TUESDAY) == "明天 11月25日周三"
    assert format_day(date(2026, 11, 26), TUESDAY) == "11月26日周四"
    assert format_day(date(2026, 11, 23), TUESDAY) == "11月23日周一"


def test_today_and_tomorrow_are_named_in_english(en: None) -> None:
    assert format_day(TUESDAY, TUESDAY) == "Today, Tue, Nov 24"
    assert format_day(date(2026, 11, 25), TUESDAY) == "Tomorrow, Wed, Nov 25"
    assert format_day(date(2026, 11, 26), TUESDAY) == "Thu, Nov 26"


def test_without_today_a_day_is_its_date_and_weekday(zh: None) -> None:
    assert format_day(TUESDAY) == "11月24日周二"


def test_tomorrow_across_the_new_year(en: None) -> None:
    assert format_day(date(2027, 1, 1), date(2026, 12, 31)) == "Tomorrow, Fri, Jan 1"


def test_full_dates_carry_the_year_and_weekday() -> None:
    with use_locale("zh_Hans"):
        assert format_full_date(TUESDAY) == "2026年11月24日周二"
    with use_locale("en"):
        assert format_full_date(TUESDAY) == "Tue, Nov 24, 2026"


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "¥0.00"),
        (12, "¥12.00"),
        (Decimal("8.5"), "¥8.50"),
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("1234567.89"), "¥1,234,567.89"),
    ],
)
def test_money_is_yuan_with_two_decimals_and_grouping_in_both_languages(
    locale: str, amount: Decimal | int, text: str
) -> None:
    with use_locale(locale):
        assert format_money(amount) == text


def test_a_refund_puts_the_minus_sign_before_the_yuan_sign(zh: None) -> None:
    assert format_money(Decimal("-3.5")) == "-¥3.50"


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_clock_times_are_24_hour_with_leading_zeros(locale: str) -> None:
    with use_locale(locale):
        assert format_clock(time(8, 5)) == "08:05"
        assert format_clock(datetime(2026, 11, 24, 18, 30)) == "18:30"


def test_gettext_translates_into_the_active_locale_and_fills_placeholders() -> None:
    with use_locale("zh_Hans"):
        assert gettext("Family members") == "就诊人管理"
        assert "5" in gettext(LIMIT_MESSAGE, count=5)
        assert gettext(LIMIT_MESSAGE, count=5) != LIMIT_MESSAGE % {"count": 5}
    with use_locale("en"):
        assert gettext(LIMIT_MESSAGE, count=5) == (
            "An account can manage at most 5 people. Remove someone first."
        )


def test_plurals_follow_the_count_in_english(en: None) -> None:
    one = "That code is not right. You can try %(num)d more time."
    many = "That code is not right. You can try %(num)d more times."
    assert ngettext(one, many, 1) == "That code is not right. You can try 1 more time."
    assert ngettext(one, many, 3) == "That code is not right. You can try 3 more times."


def test_lazy_labels_translate_when_shown_not_when_defined() -> None:
    label = lazy_gettext("Settings")
    with use_locale("en"):
        assert str(label) == "Settings"
    with use_locale("zh_Hans"):
        assert str(label) != "Settings"


def test_use_locale_restores_the_previous_locale() -> None:
    with use_locale("en"):
        with use_locale("zh_Hans"):
            assert gettext("Settings") != "Settings"
        assert gettext("Settings") == "Settings"


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_remembered_dates_and_times_read_as_babel_formats_them(locale: str) -> None:
    """Clock times and dates are formatted once per value and language, then remembered: what
    is remembered must be exactly what Babel says, zone-aware or not, in either language."""
    from datetime import UTC, timedelta
    from zoneinfo import ZoneInfo

    from babel.dates import format_skeleton, format_time

    shanghai = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 12, 31, 22, 0, tzinfo=shanghai)
    with use_locale(locale):
        for step in range(0, 60 * 30, 7):
            moment = start + timedelta(minutes=step)
            for value in (moment, moment.astimezone(UTC), moment.replace(tzinfo=None)):
                assert format_clock(value) == format_time(value, "HH:mm", locale=locale)
            assert format_clock(moment.timetz()) == format_time(
                moment.time(), "HH:mm", locale=locale
            )
            day = moment.date()
            assert format_full_date(day) == format_skeleton("yMMMEd", day, locale=locale)
            assert format_day(day) == format_skeleton("MMMEd", day, locale=locale)
        assert format_clock(time(7, 5)) == "07:05"


def test_a_remembered_date_is_the_date_of_the_moment_in_its_own_zone() -> None:
    """23:00 in London and 07:00 the next morning in Shanghai are the same moment, equal in
    Python, and two different dates on paper."""
    from zoneinfo import ZoneInfo

    london = datetime(2026, 12, 31, 23, 0, tzinfo=ZoneInfo("UTC"))
    shanghai = london.astimezone(ZoneInfo("Asia/Shanghai"))
    assert london == shanghai
    with use_locale("en"):
        assert "Dec 31" in format_full_date(london) and "Jan 1" in format_full_date(shanghai)
        assert format_day(london) != format_day(shanghai)
