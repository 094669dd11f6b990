"""Inline SVG for the e-card's QR code and barcode.

The markup suits a site with a strict Content-Security-Policy (no inline styles): no `style`
attribute and no `<style>` element, only presentation attributes. Each SVG has a `viewBox`
in module units and no width or height, so CSS sizes it for a phone, a kiosk or paper, and
`shape-rendering="crispEdges"` keeps module edges sharp at any scale. It is `role="img"` with
an `aria-label` the caller supplies (in the reader's language).

All dark modules are ONE `<path>` of closed rectangles, one per horizontal run (QR) or bar
(barcode), written with relative moves to keep it short; a white `<rect>` behind gives the
quiet zone its colour whatever the page background is.

Rendering is cached: a dynamic code's text is valid for one 30-second window, so the app
asks for each text once per window; a card number's barcode never changes. The caches are
bounded LRU caches (`qr_svg.cache_clear()`, `qr_svg.__wrapped__` for the uncached function).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Iterator, Sequence

import qrcode
import qrcode.constants
import qrcode.util
from barcode.charsets import code128 as code128_charset

from ecard.codes import QR_ALPHANUMERIC
from ecard.numbers import is_valid_card_number

QR_QUIET_ZONE = 4
BARCODE_QUIET_ZONE = 10
BARCODE_HEIGHT = 40
RENDER_CACHE_SIZE = 4096


def _svg(width: int, height: int, label: str, path: str) -> str:
    if not isinstance(label, str) or not label.strip():
        raise ValueError("an aria-label is required: say what the code is for")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(label.strip(), quote=True)}" shape-rendering="crispEdges">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def _rectangles_path(rectangles: Iterable[tuple[int, int, int, int]]) -> str:
    """Path data for rectangles (x, y, width, height), each a closed subpath.

    After `z` the current point is back at the subpath's start, so every rectangle after the
    first starts with a short relative move from the previous rectangle's corner.
    """
    parts: list[str] = []
    x0 = y0 = 0
    for x, y, width, height in rectangles:
        parts.append(f"m{x - x0} {y - y0}h{width}v{height}h-{width}z")
        x0, y0 = x, y
    # The first move is relative to (0, 0), so "m" is as good as "M"; say "M" for readers.
    return "M" + "".join(parts)[1:] if parts else ""


def _runs(row: Sequence[bool]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    x, size = 0, len(row)
    while x < size:
        if row[x]:
            start = x
            while x < size and row[x]:
                x += 1
            yield start, x - start
        else:
            x += 1


def qr_modules(text: str) -> list[list[bool]]:
    """The QR symbol for `text` at error correction M, as rows of dark (True) modules.

    No quiet zone. The smallest version that holds the text is used, with the standard's
    penalty-based mask choice (a fixed mask would render ~5x faster but can leave large blocks
    or finder-like patterns that make some cameras struggle; renders are cached, so we pay).
    Text entirely in QR's alphanumeric set is encoded as one alphanumeric segment.
    """
    symbol = qrcode.QRCode(
        version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0
    )
    if text and set(text) <= QR_ALPHANUMERIC:
        symbol.add_data(qrcode.util.QRData(text.encode("ascii"), qrcode.util.MODE_ALPHA_NUM))
    else:
        symbol.add_data(text)
    symbol.make(fit=True)
    return [[bool(module) for module in row] for row in symbol.modules]


@functools.lru_cache(maxsize=RENDER_CACHE_SIZE)
def qr_svg(text: str, *, label: str) -> str:
    """Inline SVG of the QR code for `text` (error correction M, 4-module quiet zone).

    One unit of the viewBox is one module. Cached per (text, label).
    """
    modules = qr_modules(text)
    size = len(modules) + 2 * QR_QUIET_ZONE
    quiet = QR_QUIET_ZONE
    runs = (
        (start + quiet, y + quiet, length, 1)
        for y, row in enumerate(modules)
        for start, length in _runs(row)
    )
    return _svg(size, size, label, _rectangles_path(runs))


def barcode_pattern(card_number: str) -> str:
    """The Code128 module pattern for a card number: "1" for bar, "0" for space.

    Code set C, which packs two digits per symbol: start C, 8 digit pairs, the modulo-103
    check symbol and the stop pattern, 123 modules in all, no quiet zone. The symbol patterns
    come from python-barcode's table, but we assemble them ourselves: python-barcode 0.16.1's
    `Code128` silently drops a leading "99" pair, so 1 card in 90 would scan as 14 digits
    (WhyNotHugo/python-barcode#251; the fix, #263, is not in the release we use).
    """
    if not is_valid_card_number(card_number):
        raise ValueError("not a valid card number")
    values = [code128_charset.START_CODES["C"]]
    values += [int(card_number[i : i + 2]) for i in range(0, len(card_number), 2)]
    checksum = (values[0] + sum(i * value for i, value in enumerate(values[1:], start=1))) % 103
    # python-barcode's STOP lacks the final 2-module bar of the 13-module stop pattern.
    return "".join(code128_charset.CODES[value] for value in [*values, checksum]) + (
        code128_charset.STOP + "11"
    )


@functools.lru_cache(maxsize=RENDER_CACHE_SIZE)
def barcode_svg(card_number: str, *, label: str) -> str:
    """Inline SVG of the card number as a Code128 barcode, 10-module quiet zones each side.

    No human-readable text inside: the page prints the grouped digits (`group_digits`) in
    HTML below it, where they can be enlarged and read aloud. One viewBox unit is one module;
    bars are `BARCODE_HEIGHT` modules tall. Cached per (card number, label).
    """
    pattern = barcode_pattern(card_number)
    bars = (
        (start + BARCODE_QUIET_ZONE, 0, width, BARCODE_HEIGHT)
        for start, width in _runs([module == "1" for module in pattern])
    )
    width = len(pattern) + 2 * BARCODE_QUIET_ZONE
    return _svg(width, BARCODE_HEIGHT, label, _rectangles_path(bars))
