"""Translations and locale-aware formatting.

The active locale lives in a context variable that the shell middleware sets for each request,
so Python code and templates call the same ``gettext`` without passing the request around.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal
from babel.support import LazyProxy, Translations

from portal.settings import BASE_DIR

LOCALES: tuple[str, ...] = ("zh_Hans", "en")
DEFAULT_LOCALE = "zh_Hans"
CATALOG_DIR: Path = BASE_DIR / "i18n"
DOMAIN = "messages"

_active_locale: ContextVar[str] = ContextVar("active_locale", default=DEFAULT_LOCALE)


def normalize_locale(value: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map what a form, cookie or header says to one of our locales."""
    if not value:
        return default
    value = value.replace("-", "_").strip()
    for locale in LOCALES:
        if value.lower() == locale.lower():
            return locale
    if value.lower().startswith("zh"):
        return "zh_Hans"
    if value.lower().startswith("en"):
        return "en"
    return default


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The compiled catalog for a locale (English msgids fall through untranslated)."""
    loaded = Translations.load(str(CATALOG_DIR), [locale], domain=DOMAIN)
    if not isinstance(loaded, Translations):  # no .mo compiled yet: identity translations
        return Translations()
    return loaded


def get_locale() -> str:
    return _active_locale.get()


def set_locale(locale: str) -> None:
    _active_locale.set(normalize_locale(locale))


@contextlib.contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Run a block in another locale (an SMS in the patient's language, a test)."""
    token = _active_locale.set(normalize_locale(locale))
    try:
        yield
    finally:
        _active_locale.reset(token)


def html_lang(locale: str | None = None) -> str:
    """The value for ``<html lang>``: BCP 47, e.g. ``zh-Hans``."""
    return (locale or get_locale()).replace("_", "-")


def babel_locale(locale: str | None = None) -> Locale:
    return _parsed(locale or get_locale())


@lru_cache(maxsize=16)
def _parsed(locale: str) -> Locale:
    """Babel parses a locale name again (and looks its data up) on every call otherwise: a
    page of time slots formats dozens of times."""
    return Locale.parse(locale)


def gettext(message: str, **variables: object) -> str:
    """Translate into the active locale; ``%(name)s`` placeholders are filled from keywords."""
    text = translations(get_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """Translate a message that depends on a count; ``%(num)d`` is the count."""
    text = translations(get_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def lazy_gettext(message: str, **variables: object) -> LazyProxy:
    """Translate when used, not when defined (labels declared at import time)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext


# -- formatting -------------------------------------------------------------------------------


def format_day(value: date, today: date | None = None) -> str:
    """A date with its weekday, and 今天/明天 (Today/Tomorrow) where that helps."""
    text = _skeleton("MMMEd", _date_of(value), get_locale())
    if today is not None:
        delta = (value - today).days
        if delta == 0:
            return gettext("Today, %(date)s", date=text)
        if delta == 1:
            return gettext("Tomorrow, %(date)s", date=text)
    return text


def format_full_date(value: date) -> str:
    """Year, month, day and weekday: for confirmations and printouts."""
    return _skeleton("yMMMEd", _date_of(value), get_locale())


def _date_of(value: date) -> date:
    """The date Babel prints for a moment: its own zone's (a naive one is taken as UTC, which
    does not move it). Remembered by date: two moments in different zones can be equal in
    Python and still fall on different dates."""
    return value.date() if isinstance(value, datetime) else value


@lru_cache(maxsize=4096)
def _skeleton(skeleton: str, value: date, locale: str) -> str:
    return format_skeleton(skeleton, value, locale=_parsed(locale))


def format_clock(value: time | datetime) -> str:
    """A 24-hour clock time, as hospitals print it (the time as given: no zone is changed)."""
    return _clock(value.hour, value.minute, get_locale())


@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, locale: str) -> str:
    return format_time(time(hour, minute), "HH:mm", locale=_parsed(locale))


def format_money(amount: Decimal | int | float) -> str:
    """Renminbi with the ¥ sign in both languages (Babel's English would say CN¥); a refund
    reads -¥3.50."""
    value = Decimal(amount)
    text = "¥" + format_decimal(abs(value), format="#,##0.00", locale=babel_locale())
    return "-" + text if value < 0 else text


def format_number(value: int | float | Decimal) -> str:
    return format_decimal(value, locale=babel_locale())
