"""A receipt as a PDF (门诊收费电子票据): A5, the hospital's name, the patient (masked), each bill
and line, 总额 / 医保支付 / 个人支付, the verification code and where to check it — in the reader's
language, with the subset of the CJK font it uses embedded, so it prints and reads the same
anywhere.

Making one parses a large font (about half a second of CPU), so pages make it in a worker thread,
one at a time, and keep the last few (a receipt never changes once issued).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from uuid import UUID

from fpdf import FPDF

from portal.core.i18n import format_clock, format_full_date, format_money
from portal.core.i18n import gettext as _
from portal.core.masking import mask_name
from portal.payments.labels import category_label, class_label, method_label
from portal.payments.money import yuan
from portal.payments.receipts import Receipt
from portal.settings import ReceiptSettings

FONT = "receipt"
KEPT = 64


@dataclass(frozen=True)
class ReceiptView:
    """What the PDF shows beyond the payment itself, worked out by the page."""

    receipt: Receipt
    patient_name: str
    paid_at: datetime
    """In the hospital's time zone."""
    check_url: str


def receipt_pdf(view: ReceiptView, settings: ReceiptSettings) -> bytes:
    """The receipt as PDF bytes, in the current locale (call inside ``use_locale``)."""
    payment = view.receipt.payment
    pdf = FPDF(unit="mm", format=(148, 210))  # A5
    pdf.set_title(_("Receipt %(code)s", code=payment.receipt_code))
    pdf.set_author(settings.hospital_name)
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font(FONT, "", settings.font_path, collection_font_number=settings.font_index)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FONT, size=14)
    pdf.cell(width, 8, settings.hospital_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    pdf.cell(
        width,
        8,
        _("Outpatient payment receipt (门诊收费电子票据)"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font(FONT, size=10)
    paid_at = view.paid_at
    facts = [
        (_("Patient"), mask_name(view.patient_name)),
        (
            _("Paid on"),
            f"{format_full_date(paid_at.date())} {format_clock(paid_at)}",
        ),
        (_("Paid by"), method_label(payment.method)),
        (_("Verification code"), payment.receipt_code),
    ]
    for label, value in facts:
        pdf.cell(32, 6, label)
        pdf.cell(width - 32, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for bill in view.receipt.bills:
        pdf.set_font(FONT, size=11)
        title = bill.title or bill.items[0].name
        if bill.number:
            title = f"{title} · {bill.number}"
        pdf.multi_cell(width, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=9)
        for item in bill.items:
            if item.is_void:
                continue
            detail = (
                f"{category_label(item.category)} · {item.quantity} × "
                f"{format_money(yuan(item.unit_cents))} · {class_label(item.insurance_class)}"
            )
            pdf.cell(width - 28, 5, item.name)
            pdf.cell(
                28,
                5,
                format_money(yuan(item.amount_cents)),
                align="R",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.cell(width, 5, detail, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(2)
    pdf.set_font(FONT, size=11)
    for label, cents in (
        (_("Total (总额)"), payment.total_cents),
        (_("Paid by insurance (医保支付)"), payment.insurance_cents),
        (_("Paid by the patient (个人支付)"), payment.amount_cents),
    ):
        pdf.cell(width - 40, 7, label)
        pdf.cell(40, 7, format_money(yuan(cents)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        width,
        5,
        _(
            "Anyone can check this receipt at %(address)s with the verification code.",
            address=view.check_url,
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


class KeptPdfs:
    """The last few receipts made, by payment and language; one made at a time."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self.kept: OrderedDict[tuple[UUID, str], bytes] = OrderedDict()
        self.making = Lock()

    def get(self, key: tuple[UUID, str]) -> bytes | None:
        found = self.kept.get(key)
        if found is not None:
            self.kept.move_to_end(key)
        return found

    def put(self, key: tuple[UUID, str], pdf: bytes) -> None:
        self.kept[key] = pdf
        self.kept.move_to_end(key)
        while len(self.kept) > self.size:
            self.kept.popitem(last=False)
