"""Bills: what a patient owes for registration, prescriptions and tests.

Other features ask ``portal.payments.services.BillService`` for bills (booking: a registration
bill per appointment, voided when it will not happen); nothing else writes these tables. Paying
(gateway, receipts) comes with the payments pages. Amounts are whole fen (分) so no rounding
ever creeps in.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db.base import Base
from portal.payments.money import yuan

UNPAID = "unpaid"
PAID = "paid"
REFUNDED = "refunded"
VOID = "void"
BILL_STATUSES = (UNPAID, PAID, REFUNDED, VOID)

REGISTRATION = "registration"
HOSPITAL = "hospital"
"""A bill the hospital's own systems (HIS) sent: tests, examinations, medicines."""

# What a bill's line is for (the categories a hospital's fee schedule uses).
EXAMINATION = "examination"
LAB_TEST = "lab_test"
MEDICINE = "medicine"
MATERIAL = "material"
ITEM_CATEGORIES = (REGISTRATION, EXAMINATION, LAB_TEST, MEDICINE, MATERIAL)

BILLED = "billed"
ITEM_VOID = "void"

# Insurance item classes (医保目录): 甲 covered, 乙 a self-paid part first, 丙 self-paid.
CLASS_A = "A"
CLASS_B = "B"
CLASS_C = "C"
INSURANCE_CLASSES = (CLASS_A, CLASS_B, CLASS_C)

# Insurance schemes (医保类型).
URBAN_EMPLOYEE = "urban_employee"
URBAN_RURAL_RESIDENT = "urban_rural_resident"
SELF_PAY = "self_pay"
SCHEMES = (URBAN_EMPLOYEE, URBAN_RURAL_RESIDENT, SELF_PAY)

# How a payment was taken.
CASH = "cash"
CARD = "card"
PAYMENT_METHODS = (CASH, CARD)


class BillItem(Base):
    """One line of a bill. ``line`` is the hospital's own line number, unique in its bill (a
    registration bill's one line is "1"); a voided line stays, counted in no total."""

    __tablename__ = "bill_item"
    __table_args__ = (UniqueConstraint("bill_id", "line"),)

    bill_id: Mapped[UUID] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    line: Mapped[str] = mapped_column(String(32), default="1", server_default="1")
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(
        String(16), default=REGISTRATION, server_default=REGISTRATION
    )
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default=BILLED, server_default=BILLED)
    insurance_class: Mapped[str] = mapped_column(String(1), default=CLASS_C, server_default=CLASS_C)

    @property
    def is_void(self) -> bool:
        return self.status == ITEM_VOID

    @property
    def unit_price(self) -> Decimal:
        return yuan(self.unit_cents)

    @property
    def amount(self) -> Decimal:
        return yuan(self.amount_cents)


class Bill(Base):
    """What one patient owes for one thing (a registration, a prescription, a test)."""

    __tablename__ = "bill"

    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    account_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    """The hospital's bill number (imported bills; a registration bill has none): sending the
    same number again updates that bill, never adds another."""
    title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    """What the bill is for, in the hospital's words (检验费 · 心血管内科)."""
    guidance: Mapped[str] = mapped_column(String(120), default="", server_default="")
    """What the patient does once it is paid, in the hospital's words (请到门诊楼 2 层抽血);
    empty, the page says it from the bill's lines."""
    appointment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), index=True, default=None
    )
    total_cents: Mapped[int] = mapped_column(Integer)
    insurance_cents: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default=UNPAID)
    payment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("payment.id", ondelete="SET NULL"), index=True, default=None
    )
    """The payment that captured it (none for a bill paid before payments were recorded)."""

    items: Mapped[list[BillItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="BillItem.created_at"
    )

    @property
    def is_unpaid(self) -> bool:
        """Still to be paid (what the patient is asked to pay before the visit)."""
        return self.status == UNPAID

    @property
    def is_paid(self) -> bool:
        return self.status == PAID

    @property
    def is_refunded(self) -> bool:
        return self.status == REFUNDED

    @property
    def is_void(self) -> bool:
        """Nothing to pay: what it was for will not happen (a cancelled or missed visit)."""
        return self.status == VOID

    @property
    def total(self) -> Decimal:
        return yuan(self.total_cents)

    @property
    def insurance_share(self) -> Decimal:
        return yuan(self.insurance_cents)

    @property
    def patient_share(self) -> Decimal:
        return yuan(self.total_cents - self.insurance_cents)


class InsuranceCover(Base):
    """Which insurance scheme a patient is in (自费 until the family says otherwise)."""

    __tablename__ = "insurance_cover"

    patient_id: Mapped[UUID] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), unique=True
    )
    scheme: Mapped[str] = mapped_column(String(24), default=SELF_PAY)


class InsuranceYear(Base):
    """What a patient's insurance has counted in one calendar year: how much of the deductible
    (起付线) they have paid, and how much insurance has paid (against the annual cap)."""

    __tablename__ = "insurance_year"
    __table_args__ = (UniqueConstraint("patient_id", "year"),)

    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    deductible_used_cents: Mapped[int] = mapped_column(Integer, default=0)
    paid_cents: Mapped[int] = mapped_column(Integer, default=0)


def new_receipt_code() -> str:
    """16 characters of Crockford's base32 (no I, L, O, U to misread), in groups of four."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class Payment(Base):
    """Money taken once for one or more of a patient's bills: at the cashier's window (cash or
    card) or through a gateway (WeChat Pay). ``key`` makes a repeated submission the same payment."""

    __tablename__ = "payment"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    method: Mapped[str] = mapped_column(String(12))
    total_cents: Mapped[int] = mapped_column(Integer)
    insurance_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    """What the patient paid: the total less the insurance share."""
    taken_by: Mapped[str] = mapped_column(String(80))
    receipt_code: Mapped[str] = mapped_column(
        String(20), unique=True, default=lambda: new_receipt_code()
    )
    """The receipt's verification code (电子票据校验码): random, printed on the receipt, and
    checked by anyone at ``/receipts/check/<code>``."""

    @property
    def amount(self) -> Decimal:
        return yuan(self.amount_cents)

    @property
    def insurance_share(self) -> Decimal:
        return yuan(self.insurance_cents)

    @property
    def total(self) -> Decimal:
        return yuan(self.total_cents)


# How a payment was taken, online.
WECHAT = "wechat"

# A gateway order's life: made here, then open at the gateway (the patient can pay), then paid,
# or closed (expired, cancelled, failed to open).
CREATING = "creating"
OPEN = "open"
CAPTURED = "captured"
CLOSED = "closed"

# Channels: the patient's own phone (H5: the gateway's page, then back), or a QR code shown by
# a kiosk for the patient's phone to scan (Native).
H5 = "h5"
NATIVE = "native"

# Why money goes back.
EXTRA = "extra"
"""The gateway captured money for bills already paid another way (or whose amount changed)."""
CANCELLED = "cancelled"
VOIDED = "voided"

# A refund's life.
REQUESTED = "requested"
PROCESSING = "processing"
REFUNDED_OK = "succeeded"
REFUND_FAILED = "failed"


class PayOrder(Base):
    """One attempt to pay some of a patient's bills through a gateway: ``out_trade_no`` is the
    order's number at the gateway, ``key`` the attempt's (a double tap, the back button or a
    retry is the same attempt). The amount was worked out here, from the bills, when the order
    was made; nothing the browser sent."""

    __tablename__ = "pay_order"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    gateway: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    account_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True, default=None
    )
    description: Mapped[str] = mapped_column(String(120))
    total_cents: Mapped[int] = mapped_column(Integer)
    insurance_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=CREATING, index=True)
    pay_url: Mapped[str | None] = mapped_column(String(512), default=None)
    """Where the payer pays: the gateway's H5 page, or the Native QR code's content."""
    made_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    """When the patient tapped pay (the hospital's clock)."""
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    """When the gateway was last asked about it (the return page and the follow-up ask)."""
    transaction_id: Mapped[str | None] = mapped_column(String(32), default=None)
    payment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("payment.id", ondelete="SET NULL"), default=None
    )
    extra: Mapped[bool] = mapped_column(Boolean, default=False)
    """Captured, but its bills had been paid another way (or now cost another amount): the
    money was sent back."""

    lines: Mapped[list[PayOrderBill]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="PayOrderBill.created_at"
    )

    @property
    def amount(self) -> Decimal:
        return yuan(self.amount_cents)

    @property
    def bill_ids(self) -> list[UUID]:
        return [line.bill_id for line in self.lines]


class PayOrderBill(Base):
    """A bill an order pays, with the split it was offered at."""

    __tablename__ = "pay_order_bill"
    __table_args__ = (UniqueConstraint("order_id", "bill_id"),)

    order_id: Mapped[UUID] = mapped_column(ForeignKey("pay_order.id", ondelete="CASCADE"))
    bill_id: Mapped[UUID] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    insurance_cents: Mapped[int] = mapped_column(Integer)


class Refund(Base):
    """Money sent back through the gateway, once (``out_refund_no`` is its number there): an
    extra capture in full, a cancelled appointment's fee, a voided line's amount."""

    __tablename__ = "refund"

    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("pay_order.id"), index=True)
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    bill_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("bill.id", ondelete="SET NULL"), default=None
    )
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default=REQUESTED, index=True)
    refund_id: Mapped[str | None] = mapped_column(String(32), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    @property
    def amount(self) -> Decimal:
        return yuan(self.amount_cents)


class GatewayNotice(Base):
    """A notification the gateway sent, by its signature's nonce: the same signed message sent
    again (a replay) is refused, and every one accepted is on record."""

    __tablename__ = "gateway_notice"

    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[str] = mapped_column(String(64), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    out_trade_no: Mapped[str | None] = mapped_column(String(32), default=None)
