"""`make lighthouse`: Lighthouse (npm, mobile preset, simulated slow 4G) with Debian's Chromium on
the pages an older patient opens most — the elder home with the card, the card, a booking session
page and the queue — logged in as the demo family in elder mode. Prints the performance and
accessibility scores, and what the elder home costs over the wire on a first and a repeat visit.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.http_load import log_in
from harness.server import ROOT, LiveServer, prepare_database

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
DEMO_PHONE = "13800138000"
LIFTED = {
    "PORTAL_CODE_REQUESTS_PER_ADDRESS_PER_HOUR": "100000",
    "PORTAL_LOGINS_PER_ADDRESS_PER_MINUTE": "100000",
}


async def _elder_patient(base_url: str) -> tuple[str, str]:
    """The demo daughter logged in, in elder mode: her Cookie header and a booking session."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await log_in(client, DEMO_PHONE)
        token = client.cookies.get("ymt_csrf")
        await client.post("/settings/mode", data={"mode": "elder", "_csrf_token": token})
        booking = (await client.get("/booking")).text
        department = re.search(r'href="(/booking/departments/[0-9a-f-]{36})"', booking)
        assert department
        page = (await client.get(department[1])).text
        session = re.search(r'href="(/booking/sessions/[0-9a-f-]{36})"', page)
        assert session
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        return cookie, session[1]


def over_the_wire(base_url: str, cookie: str) -> dict[str, int]:
    """Bytes a phone downloads for the elder home: everything on a first visit (the page and the
    stylesheet, script and icons it names), only the page on a repeat (the rest is versioned
    and kept for a year)."""
    headers = {"Cookie": cookie, "Accept-Encoding": "br, gzip"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        page = client.get("/")
        html = page.num_bytes_downloaded + _header_bytes(page)
        assets = set(re.findall(r'(?:href|src)="(/static/[^"#]+)', page.text))
        first = html
        for asset in sorted(assets):
            response = client.get(asset)
            first += response.num_bytes_downloaded + _header_bytes(response)
    return {"first_visit": first, "repeat_visit": html, "assets": len(assets)}


def _header_bytes(response: httpx.Response) -> int:
    return sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 17


def _lighthouse(url: str, cookie: str, out: Path) -> dict[str, Any]:
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={out}",
            "--only-categories=performance,accessibility",
            f"--extra-headers={json.dumps({'Cookie': cookie})}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=True,
        capture_output=True,
        timeout=300,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    audits = report["audits"]
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "bytes": round(audits["total-byte-weight"]["numericValue"]),
    }


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'portal.db'}"
        prepare_database(url)
        with LiveServer(url, extra_env=LIFTED, log_path=Path(tmp) / "server.log") as server:
            cookie, session = asyncio.run(_elder_patient(server.url))
            wire = over_the_wire(server.url, cookie)
            pages = [
                ("elder home with the card", "/"),
                ("the card", "/ecard"),
                ("a booking session", session),
                ("the queue", "/queue"),
            ]
            for n, (name, path) in enumerate(pages):
                scores = _lighthouse(server.url + path, cookie, Path(tmp) / f"lh{n}.json")
                rows.append({"page": name, **scores})
    rows.append({"page": "wire", **wire})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "Lighthouse 12, mobile preset (simulated slow 4G, 4× CPU slowdown), Debian's Chromium; "
        "logged in, elder mode.",
        "",
        "| page | performance | accessibility | FCP ms | LCP ms | bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    wire: dict[str, Any] = {}
    for row in rows:
        if row["page"] == "wire":
            wire = row
            continue
        lines.append(
            f"| {row['page']} | {row['performance']} | {row['accessibility']} | "
            f"{row['fcp_ms']:,} | {row['lcp_ms']:,} | {row['bytes']:,} |"
        )
    if wire:
        lines += [
            "",
            f"Elder home over the wire (brotli): first visit {wire['first_visit']:,} bytes "
            f"(the page and {wire['assets']} static files), repeat visit {wire['repeat_visit']:,} "
            "bytes (the page only: static files are versioned and kept).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
