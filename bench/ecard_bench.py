"""How fast the e-card draws and checks codes, against the libraries we could have used.

Run it as a script::

    .venv/bin/python bench/ecard_bench.py

or import it and call `run()`, which returns one dict per operation (for a parent bench
runner to print or compare). Each figure is the median, over several repeats, of the mean
time per call within a repeat; every baseline is measured in the same run as the operation it
is compared with. The ratio is ours / baseline: below 1 means we are faster.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import segno
from barcode import Code128
from barcode.writer import SVGWriter

from ecard import CardState, Keyring, SigningKey, issue_code, verify
from ecard.render import barcode_svg, qr_svg

try:
    import zxingcpp
except ImportError:  # an optional baseline (a dev dependency)
    zxingcpp = None  # type: ignore[assignment]

CARD = "9578238789037438"
NOW = 1_761_187_380.0
KEYRING = Keyring([SigningKey("K1", b"benchmark secret, not for use!!!")], current="K1")


def median_seconds(operation: Callable[[], object], *, repeats: int = 7) -> float:
    """Median over `repeats` of the mean seconds per call, each repeat lasting >= ~50 ms."""
    number = 1
    while _timed(operation, number) < 0.05:
        number *= 2
    return statistics.median(_timed(operation, number) / number for _ in range(repeats))


def _timed(operation: Callable[[], object], number: int) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection landing in one repeat is noise
    try:
        start = time.perf_counter()
        for _ in range(number):
            operation()
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


Operation = tuple[str, Callable[[], object], tuple[str, ...]]

SEGNO = "segno QR SVG (baseline)"
ZXING = "zxing-cpp QR SVG (baseline)"
PYTHON_BARCODE = "python-barcode Code128 SVG writer (baseline)"


def _operations(code: str) -> list[Operation]:
    """(name, operation, names of the baselines it is compared with), baselines first."""
    lookup = {CARD: CardState(0, True)}.get
    qr_baselines = [SEGNO]
    operations: list[Operation] = [
        (SEGNO, lambda: segno.make_qr(code, error="m", boost_error=False).svg_inline(), ()),
    ]
    if zxingcpp is not None and hasattr(zxingcpp, "create_barcode"):
        qr_baselines.append(ZXING)
        operations.append(
            (
                ZXING,
                lambda: zxingcpp.write_barcode_to_svg(
                    zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
                ),
                (),
            )
        )
    return [
        *operations,
        (
            "ecard qr_svg, uncached",
            lambda: qr_svg.__wrapped__(code, label="QR"),
            tuple(qr_baselines),
        ),
        ("ecard qr_svg, cache hit", lambda: qr_svg(code, label="QR"), ()),
        (
            PYTHON_BARCODE,
            lambda: Code128(CARD, writer=SVGWriter()).render({"write_text": False}),
            (),
        ),
        (
            "ecard barcode_svg, uncached",
            lambda: barcode_svg.__wrapped__(CARD, label="barcode"),
            (PYTHON_BARCODE,),
        ),
        ("ecard issue_code", lambda: issue_code(KEYRING, CARD, 0, NOW), ()),
        ("ecard verify, valid dynamic code", lambda: verify(code, KEYRING, lookup, NOW), ()),
    ]


def run(*, repeats: int = 7) -> list[dict[str, Any]]:
    """Measure every operation: one dict per row, in the order of the table.

    Keys: ``operation``; ``median_us``, microseconds per call; ``output_bytes``, the size of
    the SVG (None when the operation makes none); ``ratios``, ours / baseline for each
    baseline the row is compared with, by baseline name (empty for baselines themselves). The
    zxing-cpp baseline is measured only when zxing-cpp is installed and can encode.
    """
    code = issue_code(KEYRING, CARD, 0, NOW)
    seconds: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    for name, operation, baselines in _operations(code):
        output = operation()
        seconds[name] = median_seconds(operation, repeats=repeats)
        rows.append(
            {
                "operation": name,
                "median_us": seconds[name] * 1e6,
                "output_bytes": len(output) if isinstance(output, str | bytes) else None,
                "ratios": {baseline: seconds[name] / seconds[baseline] for baseline in baselines},
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a small markdown table."""
    lines = [
        "| operation | median per call | SVG bytes | ours / baseline |",
        "|---|---:|---:|---|",
    ]
    for row in rows:
        size = "" if row["output_bytes"] is None else f"{row['output_bytes']:,}"
        ratios = "; ".join(
            f"{ratio:.2f}× {baseline.split(' (')[0]}" for baseline, ratio in row["ratios"].items()
        )
        lines.append(f"| {row['operation']} | {row['median_us']:,.1f} µs | {size} | {ratios} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
