"""The translation catalogs are part of the build: up to date, complete, nothing fuzzy."""

from __future__ import annotations

from portal.core.i18n import LOCALES
from portal.web import catalogs


def test_the_catalogs_have_no_problems() -> None:
    problems = catalogs.problems()
    assert problems == [], "\n".join(problems)


def test_both_languages_ship() -> None:
    assert set(LOCALES) == {"zh_Hans", "en"}
    for locale in LOCALES:
        assert catalogs.po_path(locale).is_file(), locale


def test_the_chinese_catalog_is_in_chinese() -> None:
    zh = catalogs.read(catalogs.po_path("zh_Hans"), "zh_Hans")
    assert zh.get("Family members").string == "就诊人管理"
    strings = [m.string for m in zh if m.id and isinstance(m.string, str)]
    chinese = [s for s in strings if any("\u4e00" <= ch <= "\u9fff" for ch in s)]
    assert len(chinese) >= 0.9 * len(strings)
