"""The sandbox payment platform: orders, the payer's choice, refunds and the notifications it
owes the merchant, kept as WeChat Pay keeps them (development only).

Each function works in the caller's session; those that change anything open a short write
transaction of their own and commit it. ``SandboxError`` carries WeChat Pay's HTTP status, error
code and message, which the API answers with.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import anyio
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db.transactions import begin_write, insert_if_absent, write_transaction
from portal.payments.wechatpay import load_private_key, private_pem
from portal.paysandbox.models import (
    CLOSED,
    NOTPAY,
    PAYERROR,
    PROCESSING,
    REFUND,
    SUCCESS,
    SandboxChaos,
    SandboxMerchant,
    SandboxNotification,
    SandboxOrder,
    SandboxRefund,
)

RETRY_SCHEDULE = (
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
)
"""Seconds before each retry of an unanswered notification: WeChat Pay's published schedule
(15 tries over 24 hours and 4 minutes), then it gives up."""
OUT_TRADE_NO = re.compile(r"^[A-Za-z0-9_*|-]{6,32}$")
OUT_REFUND_NO = re.compile(r"^[A-Za-z0-9_*|@-]{1,64}$")
TRADE_TYPES = ("H5", "NATIVE")
CHECKOUT_PATH = "/dev/pay/checkout/"
"""The payer's page (``h5_url`` and ``code_url`` point here, path-only: the sandbox is served by
whichever host the browser reached)."""


class SandboxError(Exception):
    """What WeChat Pay would answer instead: an HTTP status, a code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Platform:
    """The sandbox's keys: the merchant's public key to check requests, the platform's private
    key to sign answers and notifications, and the API v3 key to seal resources."""

    mchid: str
    appid: str
    merchant_serial: str
    merchant_key: rsa.RSAPublicKey
    platform_serial: str
    platform_key: rsa.RSAPrivateKey
    api_v3_key: bytes


@dataclass(frozen=True)
class DevMerchant:
    """What a merchant holds for the sandbox account: its own private key and serial, the
    platform's public key and serial, the API v3 key. Development only."""

    mchid: str
    appid: str
    serial: str
    private_key: rsa.RSAPrivateKey
    platform_serial: str
    platform_key: rsa.RSAPublicKey
    api_v3_key: bytes


def _serial() -> str:
    return secrets.token_hex(20).upper()


def _new_keys() -> tuple[str, str]:
    def make() -> str:
        return private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)).decode()

    return make(), make()


async def _merchant_row(sessions: async_sessionmaker[AsyncSession]) -> SandboxMerchant:
    """The sandbox account, made on first use by whichever process asks first (the others read
    it): the keys are made outside the write transaction, then inserted unless already there."""
    async with sessions() as session:
        row = await session.scalar(select(SandboxMerchant).limit(1))
        if row is not None:
            return row
    merchant_pem, platform_pem = await anyio.to_thread.run_sync(_new_keys)
    async with sessions() as session:
        await begin_write(session)
        await insert_if_absent(
            session,
            SandboxMerchant,
            mchid="1900000109",
            appid="wxd678efh567hg6787",
            merchant_serial=_serial(),
            merchant_private_pem=merchant_pem,
            platform_serial=_serial(),
            platform_private_pem=platform_pem,
            api_v3_key=secrets.token_hex(16),
        )
        await session.commit()
        row = await session.scalar(select(SandboxMerchant).limit(1))
        assert row is not None
        return row


class SandboxKeys:
    """The sandbox account's keys, read (or made) and parsed once per process: parsing a PEM
    private key checks it, about 60 ms of CPU each time."""

    def __init__(self) -> None:
        self._keys: tuple[Platform, DevMerchant] | None = None
        self._lock = anyio.Lock()

    async def _get(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> tuple[Platform, DevMerchant]:
        async with self._lock:
            if self._keys is None:
                row = await _merchant_row(sessions)
                self._keys = await anyio.to_thread.run_sync(_parse, row)
            return self._keys

    async def platform(self, sessions: async_sessionmaker[AsyncSession]) -> Platform:
        return (await self._get(sessions))[0]

    async def merchant(self, sessions: async_sessionmaker[AsyncSession]) -> DevMerchant:
        return (await self._get(sessions))[1]


def _parse(row: SandboxMerchant) -> tuple[Platform, DevMerchant]:
    merchant = load_private_key(row.merchant_private_pem.encode())
    platform = load_private_key(row.platform_private_pem.encode())
    api_v3_key = row.api_v3_key.encode()
    return (
        Platform(
            mchid=row.mchid,
            appid=row.appid,
            merchant_serial=row.merchant_serial,
            merchant_key=merchant.public_key(),
            platform_serial=row.platform_serial,
            platform_key=platform,
            api_v3_key=api_v3_key,
        ),
        DevMerchant(
            mchid=row.mchid,
            appid=row.appid,
            serial=row.merchant_serial,
            private_key=merchant,
            platform_serial=row.platform_serial,
            platform_key=platform.public_key(),
            api_v3_key=api_v3_key,
        ),
    )


# ------------------------------------------------------------------ what the API answers


def rfc3339(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def transaction_json(order: SandboxOrder) -> dict[str, Any]:
    """An order as the query API and the TRANSACTION.SUCCESS notification describe it."""
    body: dict[str, Any] = {
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "trade_type": order.trade_type if order.trade_type != "H5" else "MWEB",
        "trade_state": order.trade_state,
        "trade_state_desc": {
            NOTPAY: "未支付",
            SUCCESS: "支付成功",
            CLOSED: "已关闭",
            PAYERROR: "支付失败",
            REFUND: "转入退款",
        }.get(order.trade_state, ""),
        "attach": order.attach,
        "amount": {"total": order.amount_total, "currency": "CNY"},
    }
    if order.transaction_id:
        body["transaction_id"] = order.transaction_id
        body["bank_type"] = "OTHERS"
        body["success_time"] = rfc3339(order.success_time)
        body["payer"] = {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
        body["amount"].update({"payer_total": order.amount_total, "payer_currency": "CNY"})
    return body


def refund_json(refund: SandboxRefund, order: SandboxOrder) -> dict[str, Any]:
    return {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": order.transaction_id,
        "out_trade_no": order.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "success_time": rfc3339(refund.success_time),
        "create_time": rfc3339(refund.created_at),
        "status": refund.status,
        "amount": {
            "total": order.amount_total,
            "refund": refund.amount_refund,
            "payer_total": order.amount_total,
            "payer_refund": refund.amount_refund,
            "currency": "CNY",
        },
    }


def _param(message: str) -> SandboxError:
    return SandboxError(400, "PARAM_ERROR", message)


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _param(f"{name} must be a whole number of fen")
    return value


def _text(body: Mapping[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise _param(f"{name} is missing or too long")
    return value


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise _param("time_expire must be an RFC 3339 time") from exc
    if moment.tzinfo is None:
        raise _param("time_expire must name its time zone")
    return moment


# ------------------------------------------------------------------ orders


async def _order(session: AsyncSession, mchid: str, out_trade_no: str) -> SandboxOrder:
    order = await session.scalar(
        select(SandboxOrder).where(
            SandboxOrder.mchid == mchid, SandboxOrder.out_trade_no == out_trade_no
        )
    )
    if order is None:
        raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
    return order


def _expired(order: SandboxOrder, now: datetime) -> bool:
    return order.trade_state == NOTPAY and order.time_expire is not None and order.time_expire < now


async def create_order(
    session: AsyncSession,
    platform: Platform,
    trade_type: str,
    body: Mapping[str, Any],
    now: datetime,
) -> SandboxOrder:
    """``POST /v3/pay/transactions/{h5|native}``: the same ``out_trade_no`` with the same
    amount and description is the same order (a retried request); with others it is refused."""
    if body.get("mchid") != platform.mchid or body.get("appid") != platform.appid:
        raise SandboxError(400, "MCH_NOT_EXISTS", "商户号或应用号不存在")
    out_trade_no = _text(body, "out_trade_no", 32)
    if not OUT_TRADE_NO.fullmatch(out_trade_no):
        raise _param("out_trade_no must be 6 to 32 letters, digits, _ - | *")
    description = _text(body, "description", 127)
    notify_url = _text(body, "notify_url", 256)
    if not notify_url.startswith(("https://", "http://")):
        raise _param("notify_url must be an http(s) address")
    amount = body.get("amount")
    if not isinstance(amount, dict):
        raise _param("amount is missing")
    total = _whole(amount.get("total"), "amount.total")
    if not 1 <= total <= 100_000_000_00:
        raise _param("amount.total must be at least 1 fen")
    if amount.get("currency", "CNY") != "CNY":
        raise _param("amount.currency must be CNY")
    attach = body.get("attach") or ""
    if not isinstance(attach, str) or len(attach) > 128:
        raise _param("attach must be at most 128 characters")
    time_expire = _parse_time(body.get("time_expire"))
    order = await session.scalar(
        select(SandboxOrder).where(
            SandboxOrder.mchid == platform.mchid, SandboxOrder.out_trade_no == out_trade_no
        )
    )
    await session.commit()
    if order is not None:  # a retried request: the same order, nothing to write
        _same_order(order, total, description, now)
        return order
    async with write_transaction(session):
        order = await session.scalar(
            select(SandboxOrder).where(
                SandboxOrder.mchid == platform.mchid, SandboxOrder.out_trade_no == out_trade_no
            )
        )
        if order is None:
            order = SandboxOrder(
                mchid=platform.mchid,
                appid=platform.appid,
                out_trade_no=out_trade_no,
                prepay_id="wx" + secrets.token_hex(16),
                trade_type=trade_type,
                description=description,
                attach=attach,
                amount_total=total,
                notify_url=notify_url,
                time_expire=time_expire,
            )
            session.add(order)
            try:
                await session.flush()
            except IntegrityError:  # the same order, created a moment ago by a retry
                await session.rollback()
                await begin_write(session)
                order = await _order(session, platform.mchid, out_trade_no)
        _same_order(order, total, description, now)
    return order


def _same_order(order: SandboxOrder, total: int, description: str, now: datetime) -> None:
    """A second request for an ``out_trade_no`` must be the same order, and still payable."""
    if order.amount_total != total or order.description != description:
        raise SandboxError(400, "OUT_TRADE_NO_USED", "商户订单号重复")
    if order.trade_state in (SUCCESS, REFUND):
        raise SandboxError(403, "ORDERPAID", "该订单已支付")
    if order.trade_state == CLOSED or _expired(order, now):
        raise SandboxError(400, "ORDERCLOSED", "该订单已关闭")


async def query_order(
    session: AsyncSession, mchid: str, out_trade_no: str, now: datetime
) -> SandboxOrder:
    """``GET /v3/pay/transactions/out-trade-no/{out_trade_no}``; an order past its expiry that
    was never paid reads as closed."""
    order = await _order(session, mchid, out_trade_no)
    if _expired(order, now):
        order = await _close(session, order.id)
    return order


async def _close(session: AsyncSession, order_id: UUID) -> SandboxOrder:
    async with write_transaction(session):
        await session.execute(
            update(SandboxOrder)
            .where(SandboxOrder.id == order_id, SandboxOrder.trade_state.in_((NOTPAY, PAYERROR)))
            .values(trade_state=CLOSED)
            .execution_options(synchronize_session=False)
        )
    order = await session.get(SandboxOrder, order_id, populate_existing=True)
    assert order is not None
    return order


async def close_order(session: AsyncSession, mchid: str, out_trade_no: str) -> None:
    """``POST …/close``: an unpaid order can no longer be paid."""
    order = await _order(session, mchid, out_trade_no)
    order = await _close(session, order.id)
    if order.trade_state != CLOSED:
        raise SandboxError(400, "ORDERPAID", "该订单已支付")


async def order_for_payer(session: AsyncSession, prepay_id: str) -> SandboxOrder:
    order = await session.scalar(select(SandboxOrder).where(SandboxOrder.prepay_id == prepay_id))
    if order is None:
        raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
    return order


async def pay(session: AsyncSession, prepay_id: str, succeed: bool, now: datetime) -> SandboxOrder:
    """The payer pays (or the payment fails) on the payer's page. An order is paid once: a
    second tap, or a second phone, finds it paid. A success owes the merchant a notification."""
    order = await order_for_payer(session, prepay_id)
    if _expired(order, now):
        order = await _close(session, order.id)
    async with write_transaction(session):
        state = SUCCESS if succeed else PAYERROR
        values: dict[str, Any] = {"trade_state": state}
        if succeed:
            values.update(transaction_id="4200" + secrets.token_hex(14)[:24], success_time=now)
        changed = await session.execute(
            update(SandboxOrder)
            .where(SandboxOrder.id == order.id, SandboxOrder.trade_state.in_((NOTPAY, PAYERROR)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        order = await session.get(SandboxOrder, order.id, populate_existing=True)  # type: ignore[assignment]
        assert order is not None
        if changed.rowcount == 1 and succeed:  # type: ignore[attr-defined]
            await _owe(
                session,
                order.notify_url,
                "TRANSACTION.SUCCESS",
                "支付成功",
                "transaction",
                transaction_json(order),
                now,
            )
    return order


# ------------------------------------------------------------------ refunds


async def create_refund(
    session: AsyncSession, platform: Platform, body: Mapping[str, Any], now: datetime
) -> tuple[SandboxRefund, SandboxOrder]:
    """``POST /v3/refund/domestic/refunds``: PROCESSING at once, SUCCESS (and its notification)
    on the sandbox's next round. The same ``out_refund_no`` again is the same refund."""
    out_refund_no = _text(body, "out_refund_no", 64)
    if not OUT_REFUND_NO.fullmatch(out_refund_no):
        raise _param("out_refund_no has characters WeChat Pay does not take")
    out_trade_no = _text(body, "out_trade_no", 32)
    amount = body.get("amount")
    if not isinstance(amount, dict):
        raise _param("amount is missing")
    refund_fen = _whole(amount.get("refund"), "amount.refund")
    total_fen = _whole(amount.get("total"), "amount.total")
    if refund_fen < 1:
        raise _param("amount.refund must be at least 1 fen")
    notify_url = body.get("notify_url") or ""
    if not isinstance(notify_url, str) or len(notify_url) > 256:
        raise _param("notify_url is too long")
    async with write_transaction(session):
        order = await _order(session, platform.mchid, out_trade_no)
        earlier = await session.scalar(
            select(SandboxRefund).where(
                SandboxRefund.mchid == platform.mchid, SandboxRefund.out_refund_no == out_refund_no
            )
        )
        if earlier is not None:
            if earlier.order_id != order.id or earlier.amount_refund != refund_fen:
                raise SandboxError(400, "INVALID_REQUEST", "退款单号已被使用")
            await session.commit()
            return earlier, order
        if order.trade_state not in (SUCCESS, REFUND):
            raise SandboxError(400, "INVALID_REQUEST", "订单未支付，不能退款")
        if total_fen != order.amount_total:
            raise _param("amount.total is not the order's amount")
        changed = await session.execute(
            update(SandboxOrder)
            .where(
                SandboxOrder.id == order.id,
                SandboxOrder.refunded + refund_fen <= SandboxOrder.amount_total,
            )
            .values(refunded=SandboxOrder.refunded + refund_fen, trade_state=REFUND)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise SandboxError(403, "NOT_ENOUGH", "退款金额超过订单可退金额")
        refund = SandboxRefund(
            mchid=platform.mchid,
            out_refund_no=out_refund_no,
            refund_id="5030" + secrets.token_hex(14)[:26],
            order_id=order.id,
            amount_refund=refund_fen,
            notify_url=notify_url or order.notify_url,
        )
        session.add(refund)
        await session.flush()
    return refund, order


async def query_refund(
    session: AsyncSession, mchid: str, out_refund_no: str
) -> tuple[SandboxRefund, SandboxOrder]:
    refund = await session.scalar(
        select(SandboxRefund).where(
            SandboxRefund.mchid == mchid, SandboxRefund.out_refund_no == out_refund_no
        )
    )
    if refund is None:
        raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    order = await session.get(SandboxOrder, refund.order_id)
    assert order is not None
    return refund, order


async def complete_refunds(session: AsyncSession, now: datetime) -> int:
    """Every processing refund succeeds, and owes the merchant its notification."""
    done = 0
    pending = list(
        await session.scalars(select(SandboxRefund.id).where(SandboxRefund.status == PROCESSING))
    )
    for refund_id in pending:
        async with write_transaction(session):
            changed = await session.execute(
                update(SandboxRefund)
                .where(SandboxRefund.id == refund_id, SandboxRefund.status == PROCESSING)
                .values(status=SUCCESS, success_time=now)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                refund = await session.get(SandboxRefund, refund_id, populate_existing=True)
                assert refund is not None
                order = await session.get(SandboxOrder, refund.order_id)
                assert order is not None
                body = refund_json(refund, order)
                body["mchid"] = order.mchid
                body["refund_status"] = body.pop("status")
                await _owe(
                    session, refund.notify_url, "REFUND.SUCCESS", "退款成功", "refund", body, now
                )
                done += 1
    return done


# ------------------------------------------------------------------ notifications and chaos


@dataclass(frozen=True)
class Chaos:
    delay_seconds: int = 0
    duplicates: int = 1
    drop_next: int = 0
    reorder: bool = False


async def chaos(session: AsyncSession) -> Chaos:
    row = await session.scalar(select(SandboxChaos).where(SandboxChaos.name == "chaos"))
    if row is None:
        return Chaos()
    return Chaos(row.delay_seconds, row.duplicates, row.drop_next, row.reorder)


async def set_chaos(session: AsyncSession, wanted: Chaos) -> None:
    """Change how the sandbox misbehaves from now on (0 to 3,600 s delay, 1 to 20 copies)."""
    if not 0 <= wanted.delay_seconds <= 3600 or not 1 <= wanted.duplicates <= 20:
        raise _param("delay is 0 to 3,600 seconds and copies 1 to 20")
    if not 0 <= wanted.drop_next <= 1000:
        raise _param("drop 0 to 1,000 notifications")
    async with write_transaction(session):
        await insert_if_absent(session, SandboxChaos, name="chaos")
        await session.execute(
            update(SandboxChaos)
            .where(SandboxChaos.name == "chaos")
            .values(
                delay_seconds=wanted.delay_seconds,
                duplicates=wanted.duplicates,
                drop_next=wanted.drop_next,
                reorder=wanted.reorder,
            )
            .execution_options(synchronize_session=False)
        )


async def _owe(
    session: AsyncSession,
    notify_url: str,
    event_type: str,
    summary: str,
    original_type: str,
    plaintext: dict[str, Any],
    now: datetime,
) -> None:
    """Queue a notification in the caller's write transaction, as the chaos settings say: held
    back, copied, or (the next few) lost."""
    rules = await chaos(session)
    if rules.drop_next > 0:
        changed = await session.execute(
            update(SandboxChaos)
            .where(SandboxChaos.name == "chaos", SandboxChaos.drop_next > 0)
            .values(drop_next=SandboxChaos.drop_next - 1)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:  # type: ignore[attr-defined]
            return
    event_id = "EV-" + secrets.token_hex(12)
    text = json.dumps(plaintext, ensure_ascii=False, separators=(",", ":"))
    for _copy in range(max(1, rules.duplicates)):
        session.add(
            SandboxNotification(
                notify_url=notify_url,
                event_id=event_id,
                event_type=event_type,
                summary=summary,
                original_type=original_type,
                plaintext=text,
                next_at=now + timedelta(seconds=rules.delay_seconds),
            )
        )


async def claim_due(
    session: AsyncSession, now: datetime, limit: int = 50
) -> list[SandboxNotification]:
    """Notifications due now, each claimed for a minute so that another process's round does
    not send it at the same moment; newest first when the chaos settings say reorder."""
    rules = await chaos(session)
    order = (
        SandboxNotification.created_at.desc() if rules.reorder else SandboxNotification.created_at
    )
    due = list(
        await session.scalars(
            select(SandboxNotification.id)
            .where(
                SandboxNotification.next_at <= now,
                SandboxNotification.delivered_at.is_(None),
                SandboxNotification.given_up.is_(False),
            )
            .order_by(order, SandboxNotification.id)
            .limit(limit)
        )
    )
    if not due:
        await session.commit()
        return []
    claimed = []
    async with write_transaction(session):
        for notification_id in due:
            changed = await session.execute(
                update(SandboxNotification)
                .where(
                    SandboxNotification.id == notification_id, SandboxNotification.next_at <= now
                )
                .values(next_at=now + timedelta(seconds=60))
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(notification_id)
    rows = {
        n.id: n
        for n in await session.scalars(
            select(SandboxNotification).where(SandboxNotification.id.in_(claimed))
        )
    }
    await session.commit()
    return [rows[i] for i in claimed if i in rows]


async def record_attempt(
    session: AsyncSession, notification_id: UUID, status: int | None, now: datetime, scale: float
) -> None:
    """A 2xx ends it; anything else (or no answer) is tried again on the schedule, 15 times."""
    async with write_transaction(session):
        row = await session.get(SandboxNotification, notification_id, populate_existing=True)
        assert row is not None
        row.attempts += 1
        row.last_status = status
        if status is not None and 200 <= status < 300:
            row.delivered_at = now
        elif row.attempts > len(RETRY_SCHEDULE):
            row.given_up = True
        else:
            row.next_at = now + timedelta(seconds=RETRY_SCHEDULE[row.attempts - 1] * scale)


async def recent(
    session: AsyncSession, limit: int = 20
) -> tuple[list[SandboxOrder], list[SandboxNotification]]:
    """The newest orders and notifications, for the sandbox's own page."""
    orders = list(
        await session.scalars(
            select(SandboxOrder).order_by(SandboxOrder.created_at.desc()).limit(limit)
        )
    )
    notes = list(
        await session.scalars(
            select(SandboxNotification).order_by(SandboxNotification.created_at.desc()).limit(limit)
        )
    )
    return orders, notes


def keys_of(state: Any) -> SandboxKeys:
    """The process's reading of the sandbox account (kept in the app's state)."""
    if "sandbox_keys" not in state:
        state["sandbox_keys"] = SandboxKeys()
    keys: SandboxKeys = state["sandbox_keys"]
    return keys
