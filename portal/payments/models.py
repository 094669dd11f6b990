"""Bills: what a patient owes for registration, prescriptions and tests.

Other features ask ``portal.payments.services.BillService`` for bills (booking: a registration
bill per appointment, voided when it will not happen); nothing else writes these tables. Paying
(gateway, receipts) comes with the payments pages. Amounts are whole fen (分) so no rounding
ever creeps in.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
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
    card) or, later, through a gateway. ``key`` makes a repeated submission the same payment."""

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
