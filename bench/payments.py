"""What paying costs the server: the gateway's notifications processed per second, and the pay
page, each against our own ``/healthz`` on the same server in the same run.

- **First notifications**: each one captures a different order (verify the platform's
  signature, decrypt the resource, note the nonce, settle the insurance share, mark the bills
  paid, write the payment and the audit line).
- **Repeated notifications**: the same paid order notified again (what the gateway does until it
  hears a 2xx): verified, decrypted, nonce noted, found already taken.
- ``/healthz`` driven the same way (Python, httpx, 8 at once), and the pay page (``/bills``,
  logged in) against ``/healthz`` with ``wrk``.

Notifications are signed and sealed before the clock starts (RSA signing costs the sender, not
us). One server process on SQLite with the demo data; the server's own postman and follow-up off.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench import wrk
from bench.http_load import log_in
from bench.pages import DEMO_PHONE, LIFTED
from harness.server import LiveServer, prepare_database
from portal.accounts.idnumber import make_id_number
from portal.accounts.models import Patient
from portal.app import load_models
from portal.db.engine import create_engine
from portal.payments.models import (
    BILLED,
    CLASS_C,
    HOSPITAL,
    LAB_TEST,
    OPEN,
    UNPAID,
    Bill,
    BillItem,
    PayOrder,
    PayOrderBill,
)
from portal.payments.wechatpay import encrypt_resource, signed_headers
from portal.paysandbox.services import Platform, SandboxKeys
from portal.settings import DatabaseSettings

ORDERS = int(os.environ.get("BENCH_PAY_ORDERS", "1500"))
REPEATS = int(os.environ.get("BENCH_PAY_REPEATS", "3000"))
CONCURRENCY = 8
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
NOTIFY = "/api/v1/payments/notify/wechatpay"
QUIET = {"PORTAL_PAY_SANDBOX_TICK_SECONDS": "0", "PORTAL_PAY_TASK_SECONDS": "0"}


async def _orders(url: str, count: int) -> tuple[Platform, list[dict[str, Any]]]:
    """``count`` open orders, one bill each, for the demo family; their transactions as the
    gateway would report them paid."""
    load_models()
    engine = create_engine(DatabaseSettings(url=url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        platform = await SandboxKeys().platform(sessions)
        async with sessions() as session:
            # Patients of their own: the demo family's pay page stays as it is.
            bench_patients = [
                Patient(
                    name=f"压测{n}",
                    id_number=make_id_number("110101", date(1950, 1, 1 + n), 101 + 2 * n),
                    phone="13900000000",
                    sex="F",
                    birth_date=date(1950, 1, 1 + n),
                )
                for n in range(4)
            ]
            session.add_all(bench_patients)
            await session.flush()
            patients = [p.id for p in bench_patients]
            now = datetime.now(UTC)
            transactions = []
            for n in range(count):
                patient = patients[n % len(patients)]
                bill = Bill(
                    patient_id=patient,
                    account_id=None,
                    kind=HOSPITAL,
                    number=f"BENCH-{n}",
                    title="检验费",
                    total_cents=2_500,
                    insurance_cents=0,
                    status=UNPAID,
                    items=[
                        BillItem(
                            code="LAB",
                            name="血常规",
                            category=LAB_TEST,
                            quantity=1,
                            unit_cents=2_500,
                            amount_cents=2_500,
                            status=BILLED,
                            insurance_class=CLASS_C,
                        )
                    ],
                )
                session.add(bill)
                await session.flush()
                out_trade_no = f"YMTBENCH{n:012d}"
                session.add(
                    PayOrder(
                        key=f"bench-key-{n:08d}",
                        out_trade_no=out_trade_no,
                        gateway="wechatpay",
                        channel="h5",
                        patient_id=patient,
                        description="bench",
                        total_cents=2_500,
                        insurance_cents=0,
                        amount_cents=2_500,
                        status=OPEN,
                        made_at=now,
                        expires_at=now + timedelta(hours=1),
                        lines=[PayOrderBill(bill_id=bill.id, total_cents=2_500, insurance_cents=0)],
                    )
                )
                transactions.append(
                    {
                        "mchid": platform.mchid,
                        "appid": platform.appid,
                        "out_trade_no": out_trade_no,
                        "transaction_id": f"4200{n:024d}",
                        "trade_type": "MWEB",
                        "trade_state": "SUCCESS",
                        "amount": {"total": 2_500, "currency": "CNY"},
                    }
                )
            await session.commit()
        return platform, transactions
    finally:
        await engine.dispose()


def _sealed(
    platform: Platform, transaction: dict[str, Any], n: int
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "id": f"EV-bench-{n}",
            "create_time": "2026-12-03T10:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": encrypt_resource(
                platform.api_v3_key, json.dumps(transaction).encode(), "transaction"
            ),
        }
    ).encode()
    headers = signed_headers(platform.platform_key, platform.platform_serial, body)
    headers["Content-Type"] = "application/json"
    return body, headers


async def _drive(
    base_url: str, requests: list[tuple[str, bytes | None, dict[str, str]]]
) -> dict[str, float]:
    """Send each request once, ``CONCURRENCY`` at a time; requests per second and how many were
    not answered 2xx."""
    queue = list(reversed(requests))
    bad = 0
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal bad
        while queue:
            path, body, headers = queue.pop()
            started = time.perf_counter()
            if body is None:
                answer = await client.get(path, headers=headers)
            else:
                answer = await client.post(path, content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            bad += not 200 <= answer.status_code < 300

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "per_second": len(requests) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "bad": bad,
    }


def _row(name: str, result: dict[str, float], baseline: dict[str, float]) -> dict[str, Any]:
    return {
        "request": name,
        "per_second": round(result["per_second"]),
        "p50_ms": round(result["p50_ms"], 1),
        "p99_ms": round(result["p99_ms"], 1),
        "ratio": round(result["per_second"] / baseline["per_second"], 2),
        "bad": int(result["bad"]),
    }


def _wrk(result: wrk.WrkResult) -> dict[str, float]:
    return {
        "per_second": result.per_second,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "bad": result.non_2xx_3xx + result.errors,
    }


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'portal.db'}"
        prepare_database(url)
        platform, transactions = asyncio.run(_orders(url, ORDERS))
        firsts = [(NOTIFY, *_sealed(platform, t, n)) for n, t in enumerate(transactions)]
        repeats = [
            (NOTIFY, *_sealed(platform, transactions[n % 50], ORDERS + n)) for n in range(REPEATS)
        ]
        health = [("/healthz", None, {}) for _ in range(REPEATS)]
        env = {**LIFTED, **QUIET}
        with LiveServer(url, extra_env=env, log_path=Path(tmp) / "server.log") as ours:
            asyncio.run(_drive(ours.url, health[:300]))  # warm up
            baseline = asyncio.run(_drive(ours.url, health))
            first = asyncio.run(_drive(ours.url, firsts))
            again = asyncio.run(_drive(ours.url, repeats))
            rows.append(_row("/healthz (baseline, Python client)", baseline, baseline))
            rows.append(_row("first notifications (each captures an order)", first, baseline))
            rows.append(_row("repeated notifications (already taken)", again, baseline))

            async def cookie() -> str:
                async with httpx.AsyncClient(base_url=ours.url, timeout=30) as client:
                    await log_in(client, DEMO_PHONE)
                    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)

            logged_in = {"Cookie": asyncio.run(cookie())}
            wrk.run(ours.url + "/bills", headers=logged_in, seconds=1)
            health_wrk = wrk.run(ours.url + "/healthz", seconds=SECONDS)
            bills = wrk.run(ours.url + "/bills", headers=logged_in, seconds=SECONDS)
            rows.append(_row("/healthz (baseline, wrk)", _wrk(health_wrk), _wrk(health_wrk)))
            rows.append(_row("/bills logged in (the pay page, wrk)", _wrk(bills), _wrk(health_wrk)))
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"One server process, SQLite, demo data; notifications from Python ({CONCURRENCY} at once, "
        f"{ORDERS:,} first and {REPEATS:,} repeated), the pay page with `wrk -t1 -c16 -d{SECONDS}s`.",
        "",
        "| request | per second | p50 ms | p99 ms | vs /healthz | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['request']} | {row['per_second']:,} | {row['p50_ms']} | {row['p99_ms']} | "
            f"{row['ratio']}× | {row['bad']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
