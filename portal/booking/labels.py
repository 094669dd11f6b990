"""How booking things are named on screen and in messages, in the patient's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_skeleton

from portal.booking.models import Department
from portal.core.i18n import babel_locale, get_locale, gettext, lazy_gettext, ngettext

TITLES: dict[str, Any] = {
    "chief": lazy_gettext("Chief physician"),
    "associate_chief": lazy_gettext("Associate chief physician"),
    "attending": lazy_gettext("Attending physician"),
    "resident": lazy_gettext("Resident physician"),
}

PERIOD_NAMES: dict[str, Any] = {
    "morning": lazy_gettext("Morning"),
    "afternoon": lazy_gettext("Afternoon"),
    "evening": lazy_gettext("Evening"),
}

STATUS_NAMES: dict[str, Any] = {
    "booked": lazy_gettext("Booked"),
    "cancelled": lazy_gettext("Cancelled"),
    "checked_in": lazy_gettext("Checked in"),
    "no_show": lazy_gettext("Missed (did not come)"),
    "completed": lazy_gettext("Seen by the doctor"),
}


def title_label(code: str) -> str:
    """主任医师 for "chief"; an unknown code is shown as it came."""
    label = TITLES.get(code)
    return str(label) if label is not None else code


def period_label(code: str) -> str:
    label = PERIOD_NAMES.get(code)
    return str(label) if label is not None else code


def status_label(code: str) -> str:
    label = STATUS_NAMES.get(code)
    return str(label) if label is not None else code


def department_name(department: Department) -> str:
    """The department's name in the patient's language when the hospital gave one."""
    if get_locale() == "en" and department.name_en:
        return department.name_en
    return department.name


def short_date(day: date) -> str:
    """11月25日 / Nov 25: for small spaces such as a date button."""
    return format_skeleton("MMMd", day, locale=babel_locale())


def places_left(count: int) -> str:
    """Places left in words, never colour alone: "还剩 3 个号" / "Fully booked"."""
    if count <= 0:
        return gettext("Fully booked")
    return ngettext("%(num)d place left", "%(num)d places left", count)


def cutoff_words(minutes: int) -> str:
    """120 → "2 hours"; 90 → "90 minutes"."""
    if minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)
