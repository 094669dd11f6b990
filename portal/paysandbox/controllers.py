"""The sandbox at ``/dev/pay`` (development only, 404 otherwise):

- WeChat Pay API v3 under ``/dev/pay/v3/…``: create an H5 or Native order, query and close it,
  refund and query a refund. Every request must carry the merchant's signature
  (``Authorization: WECHATPAY2-SHA256-RSA2048 …``) and every answer carries the platform's.
- the payer's page, ``/dev/pay/checkout/<prepay id>``: what the patient's phone shows where
  WeChat would — pay, fail or cancel;
- ``/dev/pay``: recent orders and notifications, and the chaos controls (delay, duplicate,
  drop, reorder notifications).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.errors import NotFound
from portal.payments.wechatpay import (
    ProtocolError,
    fresh,
    parse_authorization,
    request_message,
    signed_headers,
    verify,
)
from portal.paysandbox import services
from portal.paysandbox.services import Chaos, Platform, SandboxError, keys_of
from portal.settings import Settings

API = "/dev/pay/v3"


def _sandbox_only(settings: Settings) -> None:
    if settings.app.is_production or not settings.payments.is_sandbox:
        raise NotFound()


def _answer(platform: Platform, status: int, body: dict[str, Any] | None) -> Response[bytes]:
    raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    return Response(
        content=raw,
        status_code=status,
        media_type="application/json",
        headers=signed_headers(platform.platform_key, platform.platform_serial, raw),
    )


async def _signed_body(request: Request[Any, Any, Any], platform: Platform) -> bytes:
    """The request's body, once its merchant signature checks out (else SIGN_ERROR, 401)."""
    body = await request.body()
    try:
        signed = parse_authorization(request.headers.get("authorization", ""))
    except ProtocolError as exc:
        raise SandboxError(401, "SIGN_ERROR", str(exc)) from exc
    if signed.mchid != platform.mchid or signed.serial != platform.merchant_serial:
        raise SandboxError(401, "SIGN_ERROR", "商户号或证书序列号有误")
    if not fresh(signed.timestamp):
        raise SandboxError(401, "SIGN_ERROR", "timestamp is not within five minutes of now")
    path = request.scope["path"]
    query = request.scope.get("query_string", b"").decode("latin-1")
    if query:
        path = f"{path}?{query}"
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise SandboxError(400, "PARAM_ERROR", "the body is not UTF-8") from exc
    message = request_message(request.method, path, signed.timestamp, signed.nonce, text)
    if not verify(platform.merchant_key, message, signed.signature):
        raise SandboxError(401, "SIGN_ERROR", "签名错误")
    return body


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise SandboxError(400, "PARAM_ERROR", "the body is not JSON") from exc
    if not isinstance(parsed, dict):
        raise SandboxError(400, "PARAM_ERROR", "the body must be a JSON object")
    return parsed


async def _api(
    request: Request[Any, Any, Any],
    settings: Settings,
    work: Callable[[Platform, bytes], Awaitable[tuple[int, dict[str, Any] | None]]],
) -> Response[bytes]:
    _sandbox_only(settings)
    platform = await keys_of(request.app.state).platform(request.app.state.db_sessions)
    try:
        body = await _signed_body(request, platform)
        status, answer = await work(platform, body)
    except SandboxError as exc:
        return _answer(platform, exc.status, {"code": exc.code, "message": exc.message})
    return _answer(platform, status, answer)


@post(f"{API}/pay/transactions/{{trade_type:str}}", include_in_schema=False)
async def create_order(
    request: Request[Any, Any, Any],
    trade_type: FromPath[str],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
) -> Response[bytes]:
    """``POST /v3/pay/transactions/h5`` (answers ``h5_url``) and ``…/native`` (``code_url``)."""

    async def work(platform: Platform, body: bytes) -> tuple[int, dict[str, Any] | None]:
        kind = trade_type.upper()
        if kind not in services.TRADE_TYPES:
            raise SandboxError(404, "NOT_FOUND", "no such trade type in the sandbox")
        order = await services.create_order(
            db_session, platform, kind, _json(body), request.app.state.clock.now()
        )
        url = f"{services.CHECKOUT_PATH}{order.prepay_id}"
        return 200, {"h5_url": url} if kind == "H5" else {"code_url": url}

    return await _api(request, settings, work)


@get(f"{API}/pay/transactions/out-trade-no/{{out_trade_no:str}}", include_in_schema=False)
async def query_order(
    request: Request[Any, Any, Any],
    out_trade_no: FromPath[str],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
    mchid: FromQuery[str] = "",
) -> Response[bytes]:
    async def work(platform: Platform, body: bytes) -> tuple[int, dict[str, Any] | None]:
        if mchid != platform.mchid:
            raise SandboxError(400, "PARAM_ERROR", "mchid is not this merchant")
        order = await services.query_order(
            db_session, platform.mchid, out_trade_no, request.app.state.clock.now()
        )
        return 200, services.transaction_json(order)

    return await _api(request, settings, work)


@post(f"{API}/pay/transactions/out-trade-no/{{out_trade_no:str}}/close", include_in_schema=False)
async def close_order(
    request: Request[Any, Any, Any],
    out_trade_no: FromPath[str],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
) -> Response[bytes]:
    async def work(platform: Platform, body: bytes) -> tuple[int, dict[str, Any] | None]:
        if _json(body).get("mchid") != platform.mchid:
            raise SandboxError(400, "PARAM_ERROR", "mchid is not this merchant")
        await services.close_order(db_session, platform.mchid, out_trade_no)
        return 204, None

    return await _api(request, settings, work)


@post(f"{API}/refund/domestic/refunds", include_in_schema=False)
async def create_refund(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
) -> Response[bytes]:
    async def work(platform: Platform, body: bytes) -> tuple[int, dict[str, Any] | None]:
        refund, order = await services.create_refund(
            db_session, platform, _json(body), request.app.state.clock.now()
        )
        return 200, services.refund_json(refund, order)

    return await _api(request, settings, work)


@get(f"{API}/refund/domestic/refunds/{{out_refund_no:str}}", include_in_schema=False)
async def query_refund(
    request: Request[Any, Any, Any],
    out_refund_no: FromPath[str],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
) -> Response[bytes]:
    async def work(platform: Platform, body: bytes) -> tuple[int, dict[str, Any] | None]:
        refund, order = await services.query_refund(db_session, platform.mchid, out_refund_no)
        return 200, services.refund_json(refund, order)

    return await _api(request, settings, work)


def _return_to(request: Request[Any, Any, Any], redirect_url: str | None) -> str | None:
    """Where the payer's page sends the browser back: a page of this site only (WeChat Pay
    likewise sends back only to the merchant's registered domain)."""
    if not redirect_url or len(redirect_url) > 512 or "\\" in redirect_url:
        return None
    if any(ord(c) < 32 for c in redirect_url):
        return None
    parts = urlsplit(redirect_url)
    if (parts.scheme or parts.netloc) and (
        parts.scheme not in ("http", "https") or parts.netloc != request.url.netloc
    ):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/") or path.startswith(("//", "/\\")):
        return None
    return path


@get("/dev/pay/checkout/{prepay_id:str}", name="sandbox-checkout", include_in_schema=False)
async def checkout(
    request: Request[Any, Any, Any],
    prepay_id: FromPath[str],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
    redirect_url: FromQuery[str | None] = None,
) -> Template:
    """The payer's page: what WeChat would show on the phone, with the amount to pay."""
    _sandbox_only(settings)
    try:
        order = await services.order_for_payer(db_session, prepay_id)
    except SandboxError as exc:
        raise NotFound() from exc
    merchant = settings.receipts.hospital_name
    return Template(
        "paysandbox/checkout.html",
        context={
            "order": order,
            "merchant": merchant,
            "return_to": _return_to(request, redirect_url),
            "done": None,
        },
    )


@post("/dev/pay/checkout/{prepay_id:str}", name="sandbox-pay", include_in_schema=False)
async def pay(
    request: Request[Any, Any, Any],
    prepay_id: FromPath[str],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    """Pay, fail or cancel; then back to the merchant's page (H5) or the result (a QR code
    scanned from a kiosk has no page to go back to)."""
    _sandbox_only(settings)
    form = await request.form()
    action = str(form.get("action", ""))
    return_to = _return_to(request, str(form.get("redirect_url", "")) or None)
    try:
        order = await services.order_for_payer(db_session, prepay_id)
        if action in ("pay", "fail"):
            order = await services.pay(
                db_session, prepay_id, action == "pay", request.app.state.clock.now()
            )
    except SandboxError as exc:
        raise NotFound() from exc
    if return_to:
        return Redirect(return_to, status_code=303)
    return Template(
        "paysandbox/checkout.html",
        context={
            "order": order,
            "merchant": settings.receipts.hospital_name,
            "return_to": None,
            "done": action,
        },
    )


@get("/dev/pay", name="sandbox", include_in_schema=False)
async def sandbox_page(
    settings: NamedDependency[Settings], db_session: NamedDependency[AsyncSession]
) -> Template:
    """Recent orders and notifications, and how the sandbox misbehaves."""
    _sandbox_only(settings)
    orders, notifications = await services.recent(db_session)
    return Template(
        "paysandbox/index.html",
        context={
            "orders": orders,
            "notifications": notifications,
            "chaos": await services.chaos(db_session),
        },
    )


def _number(value: Any, default: int = 0) -> int:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else default


@post("/dev/pay/chaos", name="sandbox-chaos", include_in_schema=False)
async def save_chaos(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    db_session: NamedDependency[AsyncSession],
) -> Redirect:
    _sandbox_only(settings)
    form = await request.form()
    wanted = Chaos(
        delay_seconds=min(_number(form.get("delay_seconds")), 3600),
        duplicates=min(max(_number(form.get("duplicates"), 1), 1), 20),
        drop_next=min(_number(form.get("drop_next")), 1000),
        reorder=form.get("reorder") == "on",
    )
    await services.set_chaos(db_session, wanted)
    return Redirect("/dev/pay", status_code=303)


route_handlers = [
    create_order,
    query_order,
    close_order,
    create_refund,
    query_refund,
    checkout,
    pay,
    sandbox_page,
    save_chaos,
]
