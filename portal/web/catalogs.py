"""Catalog upkeep: the English catalog mirrors the msgids; every shipped locale must be complete.

``python -m portal.web.catalogs fill-en`` runs inside ``make i18n``; the test suite calls
``problems()`` so CI fails on a stale template or an untranslated or fuzzy entry.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from portal.core.i18n import CATALOG_DIR, LOCALES
from portal.settings import BASE_DIR

SOURCE_LOCALE = "en"
POT = CATALOG_DIR / "messages.pot"


def po_path(locale: str) -> Path:
    return CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def fill_source_locale() -> int:
    """English msgids are the English text: copy each into its msgstr where it is empty."""
    path = po_path(SOURCE_LOCALE)
    catalog = read(path, SOURCE_LOCALE)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string or ()):
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return filled


def extract_template() -> Catalog:
    """Extract the messages the code has now, exactly as ``make i18n`` does."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "messages.pot"
        pybabel = Path(sys.executable).with_name("pybabel")
        subprocess.run(  # noqa: S603 - our own pybabel, fixed arguments
            [
                str(pybabel),
                "extract",
                "--mapping-file",
                str(CATALOG_DIR / "babel.cfg"),
                "--keywords",
                "lazy_gettext",
                "--omit-header",
                "--no-location",
                "--sort-output",
                "--output-file",
                str(out),
                "--project",
                "Yimatong",
                "portal",
                "templates",
            ],
            cwd=BASE_DIR,
            check=True,
            capture_output=True,
        )
        return read(out)


def problems() -> list[str]:
    """Everything wrong with the catalogs, in words (empty when all is well)."""
    found: list[str] = []
    current = {m.id for m in extract_template() if m.id}
    committed = {m.id for m in read(POT) if m.id}
    for msgid in sorted(map(str, current - committed)):
        found.append(f"messages.pot is stale: {msgid!r} is not in it (run make i18n)")
    for msgid in sorted(map(str, committed - current)):
        found.append(f"messages.pot is stale: {msgid!r} is no longer used (run make i18n)")
    for locale in LOCALES:
        catalog = read(po_path(locale), locale)
        ids = {m.id for m in catalog if m.id}
        for msgid in sorted(map(str, committed - ids)):
            found.append(f"{locale}: {msgid!r} is missing (run make i18n)")
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                found.append(f"{locale}: {message.id!r} is not translated")
            if message.fuzzy:
                found.append(f"{locale}: {message.id!r} is marked fuzzy")
    return found


if __name__ == "__main__":
    if sys.argv[1:] == ["fill-en"]:
        print(f"en: {fill_source_locale()} messages filled from their msgids")
    elif sys.argv[1:] == ["check"]:
        issues = problems()
        print("\n".join(issues) or "catalogs are complete")
        sys.exit(1 if issues else 0)
    else:
        sys.exit("usage: python -m portal.web.catalogs fill-en | check")
