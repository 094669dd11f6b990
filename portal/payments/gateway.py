"""The payment gateway adapter: WeChat Pay API v3, as a merchant speaks it.

One class serves a real merchant account and the development sandbox alike; only the settings
differ (the base URL, the merchant's number, keys and serials, the API v3 key, the notify URL).
Every request is signed with the merchant's key; every answer's signature is checked against the
platform's key before its body is believed. Notifications are checked, then decrypted, by
``read_notification``.

Calls go over the network: never make one inside a write transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from portal.payments.wechatpay import (
    ProtocolError,
    authorization,
    decrypt_resource,
    verify_signed,
)

SUCCESS = "SUCCESS"
CLOSED_STATES = ("CLOSED", "PAYERROR", "REVOKED")


class GatewayError(Exception):
    """The gateway could not be reached, refused the request, or answered unsigned."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class NotificationRefused(Exception):
    """A notification that must change nothing: 401 when it is not the platform's (signature,
    serial, timestamp, replay), 400 when its content does not hold together."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class MerchantConfig:
    mchid: str
    appid: str
    serial: str
    private_key: rsa.RSAPrivateKey
    platform_keys: dict[str, rsa.RSAPublicKey]
    api_v3_key: bytes
    notify_url: str
    base_url: str


@dataclass(frozen=True)
class Transaction:
    """An order as the gateway knows it (the query API and the payment notification)."""

    out_trade_no: str
    state: str
    amount_total: int
    mchid: str
    appid: str
    transaction_id: str | None = None

    @property
    def is_paid(self) -> bool:
        # REFUND: paid, then (some) refunded — it was captured all the same.
        return self.state in (SUCCESS, "REFUND")

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES


@dataclass(frozen=True)
class RefundState:
    out_refund_no: str
    status: str
    refund_id: str | None
    amount: int


@dataclass(frozen=True)
class Notice:
    """A notification whose signature verified and whose resource decrypted."""

    event_id: str
    event_type: str
    nonce: str
    resource: dict[str, Any]


def transaction_from(body: dict[str, Any]) -> Transaction:
    try:
        amount = body["amount"]
        return Transaction(
            out_trade_no=str(body["out_trade_no"]),
            state=str(body["trade_state"]),
            amount_total=_fen(amount["total"]),
            mchid=str(body.get("mchid", "")),
            appid=str(body.get("appid", "")),
            transaction_id=body.get("transaction_id"),
        )
    except (KeyError, TypeError) as exc:
        raise GatewayError(f"the gateway's transaction lacks {exc}") from exc


def refund_from(body: dict[str, Any]) -> RefundState:
    try:
        return RefundState(
            out_refund_no=str(body["out_refund_no"]),
            status=str(body.get("status") or body.get("refund_status")),
            refund_id=body.get("refund_id"),
            amount=_fen(body["amount"]["refund"]),
        )
    except (KeyError, TypeError) as exc:
        raise GatewayError(f"the gateway's refund lacks {exc}") from exc


def _fen(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("an amount that is not whole fen")
    return value


class Gateway(Protocol):
    """What payments asks of a gateway (WeChatPay below; another provider would be a class
    with these methods)."""

    name: str
    mchid: str
    appid: str

    async def create_order(
        self,
        *,
        channel: str,
        out_trade_no: str,
        description: str,
        amount_cents: int,
        expires_at: datetime,
        client_ip: str,
    ) -> str: ...

    async def query(self, out_trade_no: str) -> Transaction: ...

    async def close(self, out_trade_no: str) -> None: ...

    async def refund(
        self,
        *,
        out_refund_no: str,
        out_trade_no: str,
        amount_cents: int,
        total_cents: int,
        reason: str,
    ) -> RefundState: ...

    async def query_refund(self, out_refund_no: str) -> RefundState: ...

    def read_notification(self, headers: Any, body: bytes) -> Notice: ...


def with_return(pay_url: str, return_url: str) -> str:
    """An H5 page's address with where to come back to (WeChat's ``redirect_url``)."""
    return f"{pay_url}{'&' if '?' in pay_url else '?'}redirect_url={quote(return_url, safe='')}"


class WeChatPay:
    """A merchant account at WeChat Pay (or the sandbox, which speaks the same)."""

    name = "wechatpay"

    def __init__(
        self,
        config: MerchantConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.config = config
        self.mchid = config.mchid
        self.appid = config.appid
        self._transport = transport
        self._timeout = timeout

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One signed request; the answer's body once its signature checks out."""
        text = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        url = self.config.base_url.rstrip("/") + path
        signed_path = urlsplit(url).path + (
            f"?{urlsplit(url).query}" if urlsplit(url).query else ""
        )
        headers = {
            "Authorization": authorization(
                mchid=self.config.mchid,
                serial=self.config.serial,
                private_key=self.config.private_key,
                method=method,
                path=signed_path,
                body=text,
            ),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "yimatong",
        }
        try:
            async with httpx.AsyncClient(
                transport=self._transport, timeout=self._timeout
            ) as client:
                answer = await client.request(method, url, content=text.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayError(f"the gateway could not be reached: {exc}") from exc
        raw = answer.content
        try:
            verify_signed(self.config.platform_keys, answer.headers, raw)
        except ProtocolError as exc:
            raise GatewayError(
                f"the gateway's answer is not signed by the platform: {exc}"
            ) from exc
        parsed: Any = json.loads(raw) if raw else None
        if answer.status_code >= 400:
            code = parsed.get("code", "") if isinstance(parsed, dict) else ""
            message = parsed.get("message", "") if isinstance(parsed, dict) else ""
            raise GatewayError(
                f"the gateway refused: {code} {message}", status=answer.status_code, code=code
            )
        return parsed

    async def create_order(
        self,
        *,
        channel: str,
        out_trade_no: str,
        description: str,
        amount_cents: int,
        expires_at: datetime,
        client_ip: str,
    ) -> str:
        """An H5 order (the patient's phone browser; answers ``h5_url``) or a Native one (a QR
        code for a kiosk; answers ``code_url``)."""
        body: dict[str, Any] = {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": description[:127],
            "out_trade_no": out_trade_no,
            "time_expire": expires_at.isoformat(timespec="seconds"),
            "notify_url": self.config.notify_url,
            "amount": {"total": amount_cents, "currency": "CNY"},
        }
        if channel == "h5":
            body["scene_info"] = {"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}}
            answer = await self._call("POST", "/v3/pay/transactions/h5", body)
            key = "h5_url"
        else:
            answer = await self._call("POST", "/v3/pay/transactions/native", body)
            key = "code_url"
        if not isinstance(answer, dict) or not isinstance(answer.get(key), str):
            raise GatewayError(f"the gateway's answer has no {key}")
        return str(answer[key])

    async def query(self, out_trade_no: str) -> Transaction:
        answer = await self._call(
            "GET",
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}?mchid={quote(self.mchid)}",
        )
        return transaction_from(answer)

    async def close(self, out_trade_no: str) -> None:
        await self._call(
            "POST",
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close",
            {"mchid": self.mchid},
        )

    async def refund(
        self,
        *,
        out_refund_no: str,
        out_trade_no: str,
        amount_cents: int,
        total_cents: int,
        reason: str,
    ) -> RefundState:
        answer = await self._call(
            "POST",
            "/v3/refund/domestic/refunds",
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": out_refund_no,
                "reason": reason[:80],
                "notify_url": self.config.notify_url,
                "amount": {"refund": amount_cents, "total": total_cents, "currency": "CNY"},
            },
        )
        return refund_from(answer)

    async def query_refund(self, out_refund_no: str) -> RefundState:
        answer = await self._call("GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no)}")
        return refund_from(answer)

    def read_notification(self, headers: Any, body: bytes) -> Notice:
        """Check a notification's signature (401 when it fails), then decrypt its resource
        (400 when it does not)."""
        try:
            verify_signed(self.config.platform_keys, headers, body)
        except ProtocolError as exc:
            raise NotificationRefused(401, str(exc)) from exc
        try:
            event = json.loads(body)
            resource = event["resource"]
            plain = json.loads(decrypt_resource(self.config.api_v3_key, resource))
            if not isinstance(plain, dict):
                raise ValueError("the resource is not an object")
            return Notice(
                event_id=str(event.get("id", ""))[:64],
                event_type=str(event.get("event_type", ""))[:32],
                nonce=str(headers["wechatpay-nonce"])[:64],
                resource=plain,
            )
        except ProtocolError as exc:
            raise NotificationRefused(400, str(exc)) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise NotificationRefused(400, f"the notification is malformed: {exc}") from exc
