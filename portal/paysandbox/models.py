"""The sandbox's own books: what a payment platform keeps about a merchant's orders.

Nothing of the portal reads these tables; the portal's payments speak to the sandbox only over
WeChat Pay API v3, exactly as they would to WeChat Pay. (Development only: ``/dev/pay``.)
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base

# trade_state, as WeChat Pay names them.
NOTPAY = "NOTPAY"
SUCCESS = "SUCCESS"
CLOSED = "CLOSED"
PAYERROR = "PAYERROR"
REFUND = "REFUND"

# Refund status.
PROCESSING = "PROCESSING"


class SandboxMerchant(Base):
    """The one sandbox merchant account and the platform's keys: made once, shared by every
    process (the app signs as the merchant, the sandbox as the platform)."""

    __tablename__ = "sandbox_merchant"

    mchid: Mapped[str] = mapped_column(String(32), unique=True)
    appid: Mapped[str] = mapped_column(String(32))
    merchant_serial: Mapped[str] = mapped_column(String(40))
    merchant_private_pem: Mapped[str] = mapped_column(Text)
    platform_serial: Mapped[str] = mapped_column(String(40))
    platform_private_pem: Mapped[str] = mapped_column(Text)
    api_v3_key: Mapped[str] = mapped_column(String(32))


class SandboxOrder(Base):
    """An order a merchant created (``out_trade_no``) and its state."""

    __tablename__ = "sandbox_order"
    __table_args__ = (UniqueConstraint("mchid", "out_trade_no"),)

    mchid: Mapped[str] = mapped_column(String(32))
    appid: Mapped[str] = mapped_column(String(32))
    out_trade_no: Mapped[str] = mapped_column(String(32))
    prepay_id: Mapped[str] = mapped_column(String(64), unique=True)
    trade_type: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(127))
    attach: Mapped[str] = mapped_column(String(128), default="", server_default="")
    amount_total: Mapped[int] = mapped_column(Integer)
    notify_url: Mapped[str] = mapped_column(String(256))
    time_expire: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    trade_state: Mapped[str] = mapped_column(String(12), default=NOTPAY)
    transaction_id: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    success_time: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    refunded: Mapped[int] = mapped_column(Integer, default=0)


class SandboxRefund(Base):
    """A refund a merchant asked for (``out_refund_no``): PROCESSING, then SUCCESS."""

    __tablename__ = "sandbox_refund"
    __table_args__ = (UniqueConstraint("mchid", "out_refund_no"),)

    mchid: Mapped[str] = mapped_column(String(32))
    out_refund_no: Mapped[str] = mapped_column(String(64))
    refund_id: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("sandbox_order.id"), index=True)
    amount_refund: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=PROCESSING)
    notify_url: Mapped[str] = mapped_column(String(256))
    success_time: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class SandboxNotification(Base):
    """One notification to deliver (a payment or a refund), retried on WeChat Pay's schedule
    until the merchant answers 2xx."""

    __tablename__ = "sandbox_notification"

    notify_url: Mapped[str] = mapped_column(String(256))
    event_id: Mapped[str] = mapped_column(String(40))
    """The event's id: copies of one event (the chaos control's duplicates) share it."""
    event_type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(64))
    original_type: Mapped[str] = mapped_column(String(16))
    plaintext: Mapped[str] = mapped_column(Text)
    next_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    given_up: Mapped[bool] = mapped_column(Boolean, default=False)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)


class SandboxChaos(Base):
    """How the sandbox misbehaves, for tests and demonstrations: hold each notification back,
    send it several times, lose the next few, or send each round's newest first."""

    __tablename__ = "sandbox_chaos"

    name: Mapped[str] = mapped_column(String(16), unique=True, default="chaos")
    delay_seconds: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=1)
    drop_next: Mapped[int] = mapped_column(Integer, default=0)
    reorder: Mapped[bool] = mapped_column(Boolean, default=False)
