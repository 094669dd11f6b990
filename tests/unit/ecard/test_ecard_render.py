"""The SVG we draw scans: rasterise our own markup and decode it with ZXing.

The rasteriser below reads the SVG as XML and interprets the path commands we emit (M, m, H,
h, V, v, z with SVG's rule that after z the pen returns to the subpath's start). It fills
every closed subpath, insisting that each is an axis-aligned rectangle, pixel-exactly at a
whole number of pixels per module. Anything it does not understand fails the test rather
than being skipped, so the decode really is of what a browser would draw.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
import zxingcpp
from barcode import Code128
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from ecard.codes import MAX_WINDOW, WINDOW_SECONDS, Keyring, SigningKey, issue_code
from ecard.numbers import check_digit
from ecard.render import (
    BARCODE_QUIET_ZONE,
    QR_QUIET_ZONE,
    barcode_pattern,
    barcode_svg,
    qr_modules,
    qr_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
CARD = "9578238789037438"
NOW = 1_761_187_380.0
KEYRING = Keyring([SigningKey("K1", b"k1 secret for tests only, 32 B!!")], current="K1")
GREY = 128  # what a pixel no element painted looks like

card_numbers = st.from_regex(r"[1-9][0-9]{14}", fullmatch=True).map(lambda b: b + check_digit(b))
rendering = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Rectangle = tuple[float, float, float, float]


def path_rectangles(d: str) -> Iterator[Rectangle]:
    """The closed subpaths of path data `d`, each checked to be an axis-aligned rectangle."""
    tokens = re.findall(r"[MmHhVvZz]|-?[0-9]+(?:\.[0-9]+)?|\S", d)
    x = y = start_x = start_y = 0.0
    corners: list[tuple[float, float]] = []
    position = 0

    def number() -> float:
        nonlocal position
        token = tokens[position]
        position += 1
        return float(token)

    while position < len(tokens):
        command = tokens[position]
        position += 1
        if command in "Mm":
            dx, dy = number(), number()
            x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
            start_x, start_y = x, y
            corners = [(x, y)]
        elif command in "Hh":
            x = number() + (x if command == "h" else 0)
            corners.append((x, y))
        elif command in "Vv":
            y = number() + (y if command == "v" else 0)
            corners.append((x, y))
        elif command in "Zz":
            xs = sorted({corner[0] for corner in corners})
            ys = sorted({corner[1] for corner in corners})
            assert len(corners) == 4 and len(xs) == 2 and len(ys) == 2, corners
            yield (xs[0], ys[0], xs[1] - xs[0], ys[1] - ys[0])
            x, y = start_x, start_y
            corners = []
        else:
            raise AssertionError(f"unexpected path data {command!r}")
    assert not corners, "every subpath is closed"


def parse_svg(svg: str) -> tuple[ET.Element, int, int]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    min_x, min_y, width, height = (int(value) for value in root.attrib["viewBox"].split())
    assert (min_x, min_y) == (0, 0)
    return root, width, height


def rasterise(svg: str, pixels_per_module: int) -> Image.Image:
    root, width, height = parse_svg(svg)
    image = Image.new("L", (width * pixels_per_module, height * pixels_per_module), GREY)
    draw = ImageDraw.Draw(image)
    for element in root:
        colour = {"#fff": 255, "#000": 0}[element.attrib["fill"]]
        if element.tag == f"{SVG}rect":
            rectangles: list[Rectangle] = [
                (
                    float(element.get("x", 0)),
                    float(element.get("y", 0)),
                    float(element.attrib["width"]),
                    float(element.attrib["height"]),
                )
            ]
        else:
            assert element.tag == f"{SVG}path"
            rectangles = list(path_rectangles(element.attrib["d"]))
        for x, y, w, h in rectangles:
            box = [
                round(x * pixels_per_module),
                round(y * pixels_per_module),
                round((x + w) * pixels_per_module) - 1,
                round((y + h) * pixels_per_module) - 1,
            ]
            draw.rectangle(box, fill=colour)
    assert image.histogram()[GREY] == 0, "the white background covers the whole symbol"
    return image


def dark_rectangles(svg: str) -> list[Rectangle]:
    root, _, _ = parse_svg(svg)
    (path,) = root.iter(f"{SVG}path")
    return list(path_rectangles(path.attrib["d"]))


def decode(image: Image.Image, barcode_format: zxingcpp.BarcodeFormat) -> zxingcpp.Barcode:
    """The one symbol ZXing finds in the image, checked to be of the expected format."""
    (result,) = zxingcpp.read_barcodes(image)
    assert result.valid
    assert result.format == barcode_format
    return result


def symbol_version(result: zxingcpp.Barcode) -> int:
    extra = result.extra
    assert isinstance(extra, dict)
    return int(extra["Version"])


# --- the QR code ----------------------------------------------------------------------------


@pytest.mark.parametrize("pixels_per_module", [2, 3, 5])
def test_the_qr_code_decodes_to_exactly_the_issued_text(pixels_per_module: int) -> None:
    code = issue_code(KEYRING, CARD, 0, NOW)
    result = decode(
        rasterise(qr_svg(code, label="Visit card QR code"), pixels_per_module),
        zxingcpp.BarcodeFormat.QRCode,
    )
    assert result.text == code
    assert result.ec_level == "M"
    assert symbol_version(result) <= 4


@rendering
@given(card_numbers, st.integers(min_value=0, max_value=1000), st.floats(1.5e9, 3.0e9))
def test_every_issued_code_decodes_from_its_svg(card: str, generation: int, now: float) -> None:
    code = issue_code(KEYRING, card, generation, now)
    result = decode(
        rasterise(qr_svg.__wrapped__(code, label="QR"), 3), zxingcpp.BarcodeFormat.QRCode
    )
    assert result.text == code


def test_the_longest_possible_code_still_fits_a_version_4_symbol() -> None:
    longest_key = Keyring([SigningKey("ZZZZ9999", b"x" * 32)], current="ZZZZ9999")
    code = issue_code(longest_key, CARD, 10**9, MAX_WINDOW * WINDOW_SECONDS + 29.9)
    assert len(code) == 57
    modules = qr_modules(code)
    assert (len(modules) - 17) // 4 <= 4  # a version v symbol is 17 + 4v modules wide
    result = decode(rasterise(qr_svg(code, label="QR"), 3), zxingcpp.BarcodeFormat.QRCode)
    assert result.text == code
    assert symbol_version(result) <= 4


@rendering
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", min_size=1, max_size=80))
def test_the_svg_draws_exactly_the_modules_of_the_symbol(text: str) -> None:
    # Error correction would forgive a few wrong modules when decoding; this does not.
    modules = qr_modules(text)
    image = rasterise(qr_svg.__wrapped__(text, label="QR"), 1)
    drawn = [
        [image.getpixel((x + QR_QUIET_ZONE, y + QR_QUIET_ZONE)) == 0 for x in range(len(row))]
        for y, row in enumerate(modules)
    ]
    assert drawn == modules


def test_the_qr_code_keeps_a_four_module_quiet_zone() -> None:
    svg = qr_svg(issue_code(KEYRING, CARD, 0, NOW), label="QR")
    _, size, _ = parse_svg(svg)
    assert QR_QUIET_ZONE == 4
    assert size == 29 + 2 * 4  # version 3
    for x, y, w, h in dark_rectangles(svg):
        assert x >= QR_QUIET_ZONE and x + w <= size - QR_QUIET_ZONE
        assert y >= QR_QUIET_ZONE and y + h <= size - QR_QUIET_ZONE


def test_the_qr_code_is_cached_per_text() -> None:
    code = issue_code(KEYRING, CARD, 0, NOW)
    assert qr_svg(code, label="QR") is qr_svg(code, label="QR")


# --- the barcode ----------------------------------------------------------------------------


@pytest.mark.parametrize("pixels_per_module", [1, 2, 4])
def test_the_barcode_decodes_to_the_card_number(pixels_per_module: int) -> None:
    image = rasterise(barcode_svg(CARD, label="Card number barcode"), pixels_per_module)
    result = decode(image, zxingcpp.BarcodeFormat.Code128)
    assert result.text == CARD


@rendering
@given(card_numbers)
def test_every_card_number_decodes_from_its_barcode(card: str) -> None:
    result = decode(
        rasterise(barcode_svg.__wrapped__(card, label="barcode"), 2), zxingcpp.BarcodeFormat.Code128
    )
    assert result.text == card


def test_a_card_number_starting_99_keeps_its_99() -> None:
    # python-barcode 0.16.1 drops a leading "99" (its issue #251); ours must not.
    card = "99" + "0" * 13
    card += check_digit(card)
    result = decode(
        rasterise(barcode_svg(card, label="barcode"), 2), zxingcpp.BarcodeFormat.Code128
    )
    assert result.text == card


@given(card_numbers.filter(lambda card: not card.startswith("99")))
def test_the_bars_are_the_ones_python_barcode_would_draw(card: str) -> None:
    (theirs,) = Code128(card).build()
    assert barcode_pattern(card) == theirs


def test_the_barcode_keeps_a_ten_module_quiet_zone_and_has_no_text() -> None:
    svg = barcode_svg(CARD, label="barcode")
    root, width, _ = parse_svg(svg)
    assert BARCODE_QUIET_ZONE >= 10
    assert width == 123 + 2 * BARCODE_QUIET_ZONE
    bars = dark_rectangles(svg)
    assert min(x for x, _, _, _ in bars) == BARCODE_QUIET_ZONE
    assert max(x + w for x, _, w, _ in bars) == width - BARCODE_QUIET_ZONE
    assert not list(root.iter(f"{SVG}text"))


def test_the_barcode_is_only_drawn_for_a_valid_card_number() -> None:
    with pytest.raises(ValueError):
        barcode_svg("9578238789037439", label="barcode")


# --- markup fit for the site ----------------------------------------------------------------


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param(
            qr_svg("YM1.K1.9578238789037438.58706246.N6BNIJGR2KLUHSR5", label="QR"), id="qr"
        ),
        pytest.param(barcode_svg(CARD, label="barcode"), id="barcode"),
    ],
)
def test_the_markup_passes_a_strict_csp_and_scales_with_css(svg: str) -> None:
    root, _, _ = parse_svg(svg)
    elements = list(root.iter())
    assert [element.tag for element in elements] == [f"{SVG}svg", f"{SVG}rect", f"{SVG}path"]
    assert not any("style" in element.attrib for element in elements)
    assert "width" not in root.attrib and "height" not in root.attrib
    assert root.attrib["role"] == "img"
    assert root.attrib["shape-rendering"] == "crispEdges"
    assert not svg.startswith("<?xml")


def test_the_label_is_escaped_and_read_back_intact() -> None:
    label = '就诊卡二维码 "张三" <一码通> & more'
    root, _, _ = parse_svg(qr_svg("HELLO", label=label))
    assert root.attrib["aria-label"] == label


@pytest.mark.parametrize("label", ["", "   "])
def test_a_code_without_a_label_is_refused(label: str) -> None:
    with pytest.raises(ValueError):
        qr_svg.__wrapped__("HELLO", label=label)
    with pytest.raises(ValueError):
        barcode_svg.__wrapped__(CARD, label=label)


def test_text_outside_the_alphanumeric_set_still_renders_and_decodes() -> None:
    result = decode(
        rasterise(qr_svg("https://example.org/卡", label="link"), 3), zxingcpp.BarcodeFormat.QRCode
    )
    assert result.text == "https://example.org/卡"
