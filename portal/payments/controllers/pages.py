"""My bills (手机缴费): every family member's bills, unpaid first with the total due and the
insurance share, each bill's lines, and each member's insurance scheme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import anyio
from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ServiceUnavailableException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.dependencies import provide_patient_service
from portal.accounts.services import FamilyMember, PatientService
from portal.audit.services import record
from portal.core.i18n import get_locale, use_locale
from portal.core.i18n import gettext as _
from portal.db.transactions import begin_write
from portal.payments.checkout import refunds_of_bill, refunds_of_payment
from portal.payments.desk import settlement_of
from portal.payments.insurance import (
    INSURANCE_TABLES,
    Share,
    YearSoFar,
    scheme_of,
    schemes_and_years,
    set_scheme,
)
from portal.payments.models import SCHEMES, SELF_PAY, Bill, BillItem
from portal.payments.money import yuan
from portal.payments.pdf import KeptPdfs, ReceiptView, receipt_pdf
from portal.payments.receipts import receipt_of, receipt_with_code, receipts_of
from portal.payments.services import BillService
from portal.web.auth import patient_actor, provide_account_id, requires_patient_login
from portal.web.dependencies import clock_of, read_cache_of, settings_of
from portal.web.forms import FormState

dependencies = {
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
}
guards = [requires_patient_login]


@dataclass(frozen=True)
class Due:
    """What one family member has to pay: their unpaid bills, the split of each (an estimate
    until paid) and their insurance scheme."""

    member: FamilyMember
    bills: list[Bill]
    shares: dict[UUID, Share]
    scheme: str

    @property
    def total(self) -> Any:
        return yuan(sum(self.shares[b.id].patient_cents for b in self.bills))


def settled_share(bill: Bill) -> Share:
    """A paid bill's split as it was settled."""
    return Share(bill.total_cents, bill.insurance_cents, estimate=False)


BILLS_TABLES = (Bill.__tablename__, BillItem.__tablename__, *INSURANCE_TABLES)
"""What the bills pages read: bills and their lines, and the patients' schemes and years."""


@dataclass(frozen=True)
class FamilyBills:
    """Some patients' bills, schemes and what their years have counted: a reading the bills
    pages keep between views while those tables are unchanged (portal/db/generations.py)."""

    bills: list[Bill]
    schemes: dict[UUID, str]
    years: dict[UUID, YearSoFar]


async def _family_bills(
    request: Request[Any, Any, Any], session: AsyncSession, patient_ids: list[UUID]
) -> FamilyBills:
    year = clock_of(request).now().year

    async def read() -> FamilyBills:
        bills = await BillService(session).bills_of(patient_ids)
        schemes, years = await schemes_and_years(session, patient_ids, year)
        return FamilyBills(bills, schemes, years)

    return await read_cache_of(request).get(
        ("bills", tuple(sorted(patient_ids, key=str)), year),
        BILLS_TABLES,
        read,
        session,
        rows=lambda reading: reading.bills,
    )


def _dues(
    request: Request[Any, Any, Any], shown: list[FamilyMember], reading: FamilyBills
) -> list[Due]:
    """Each member's unpaid bills, split in the order they would be paid (oldest first)."""
    settlement = settlement_of(request)
    dues = []
    for member in shown:
        theirs = sorted(
            (b for b in reading.bills if b.patient_id == member.id and b.is_unpaid),
            key=lambda b: (b.created_at, str(b.id)),
        )
        if theirs:
            scheme = reading.schemes.get(member.id, SELF_PAY)
            so_far = reading.years.get(member.id, YearSoFar())
            shares = settlement.estimate_from(theirs, scheme, so_far)
            dues.append(Due(member, theirs, shares, scheme))
    return dues


@get("/bills", name="bills", guards=guards, dependencies=dependencies)
async def bills_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
    patient: FromQuery[str | None] = None,
) -> Template:
    """Unpaid bills first, per family member with what each has to pay after the insurance
    share; then paid and void ones. For everyone, or one family member (``?patient=``)."""
    family = await patient_service.family_on_page(account_id)
    chosen = next((m for m in family if str(m.id) == patient), None) if patient else None
    if patient and chosen is None:
        await patient_service.member_of(account_id, patient)  # 404 for someone else's patient
    shown = [chosen] if chosen else family
    reading = await _family_bills(request, db_session, [m.id for m in shown])
    bills = reading.bills
    dues = _dues(request, shown, reading)
    return Template(
        "payments/bills.html",
        context={
            "family": family,
            "chosen": chosen,
            "dues": dues,
            "settled": [b for b in bills if not b.is_unpaid],
            "names": {m.id: m.patient.name for m in family},
            "total_due": yuan(sum(d.shares[b.id].patient_cents for d in dues for b in d.bills)),
        },
    )


@get("/bills/{bill_id:uuid}", name="bill", guards=guards, dependencies=dependencies)
async def bill_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    bill_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """One bill: whose, what for, each line, and 总额 / 医保支付 / 个人支付."""
    family = await patient_service.family_on_page(account_id)
    bill = await BillService(db_session).bill_of([m.id for m in family], bill_id)
    member = next(m for m in family if m.id == bill.patient_id)
    reading = await _family_bills(request, db_session, [member.id])
    share = settled_share(bill)
    if bill.is_unpaid:
        due = next(iter(_dues(request, [member], reading)), None)
        if due is not None and bill.id in due.shares:
            share = due.shares[bill.id]
    return Template(
        "payments/bill.html",
        context={
            "bill": bill,
            "member": member,
            "share": share,
            "scheme": reading.schemes.get(member.id, SELF_PAY),
            "refunds": await refunds_of_bill(db_session, bill.id) if not bill.is_unpaid else [],
        },
    )


@get(
    "/bills/insurance/{patient_id:uuid}",
    name="bills-insurance",
    guards=guards,
    dependencies=dependencies,
)
async def insurance_page(
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """Choose a family member's insurance scheme (医保类型), for the estimate of their share."""
    member = await patient_service.member_of(account_id, patient_id)
    return Template(
        "payments/insurance.html",
        context={
            "member": member,
            "scheme": await scheme_of(db_session, member.id),
            "schemes": SCHEMES,
            "form": FormState(),
        },
    )


@post(
    "/bills/insurance/{patient_id:uuid}",
    name="bills-insurance-save",
    guards=guards,
    dependencies=dependencies,
)
async def save_insurance(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    patient_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Template | Redirect:
    member = await patient_service.member_of(account_id, patient_id)
    scheme = str((await request.form()).get("scheme", ""))
    if scheme not in SCHEMES:
        form = FormState(errors={"scheme": _("Choose one of the three.")})
        return Template(
            "payments/insurance.html",
            context={"member": member, "scheme": None, "schemes": SCHEMES, "form": form},
            status_code=400,
        )
    await begin_write(db_session)
    try:
        await set_scheme(db_session, member.id, scheme)
        await record(
            db_session,
            patient_actor(request, account_id),
            "insurance.scheme",
            scheme,
            patient_id=member.id,
        )
        await db_session.commit()
    except BaseException:
        await db_session.rollback()
        raise
    return Redirect(f"/bills?patient={member.id}", status_code=303)


@get("/receipts", name="receipts", guards=guards, dependencies=dependencies)
async def receipts_page(
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """Every payment the family made, newest first: each is a receipt."""
    family = await patient_service.family_on_page(account_id)
    payments = await receipts_of(db_session, [m.id for m in family])
    return Template(
        "payments/receipts.html",
        context={"payments": payments, "names": {m.id: m.patient.name for m in family}},
    )


@get("/receipts/{payment_id:uuid}", name="receipt", guards=guards, dependencies=dependencies)
async def receipt_page(
    account_id: NamedDependency[UUID],
    payment_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Template:
    """One receipt, set for printing: what was paid for, who paid what, the verification code."""
    family = await patient_service.family_on_page(account_id)
    receipt = await receipt_of(db_session, [m.id for m in family], payment_id)
    member = next(m for m in family if m.id == receipt.payment.patient_id)
    refunds = await refunds_of_payment(db_session, payment_id)
    return Template(
        "payments/receipt.html",
        context={"receipt": receipt, "member": member, "refunds": refunds},
    )


@get(
    "/receipts/{payment_id:uuid}/pdf", name="receipt-pdf", guards=guards, dependencies=dependencies
)
async def receipt_pdf_page(
    request: Request[Any, Any, Any],
    account_id: NamedDependency[UUID],
    payment_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    db_session: NamedDependency[AsyncSession],
) -> Response[bytes]:
    """The receipt as a PDF to download, print or send on (made once per language, kept)."""
    family = await patient_service.family_on_page(account_id)
    receipt = await receipt_of(db_session, [m.id for m in family], payment_id)
    await db_session.commit()  # a read: nothing is held while the PDF is made
    member = next(m for m in family if m.id == receipt.payment.patient_id)
    locale = get_locale()
    kept = _kept_pdfs(request)
    pdf = kept.get((payment_id, locale))
    if pdf is None:
        view = ReceiptView(
            receipt=receipt,
            patient_name=member.patient.name,
            paid_at=clock_of(request).local(receipt.payment.created_at),
            check_url=f"{str(request.base_url).rstrip('/')}/receipts/check",
        )
        settings = settings_of(request).receipts

        def make() -> bytes:
            with kept.making, use_locale(locale):
                return receipt_pdf(view, settings)

        try:
            pdf = await anyio.to_thread.run_sync(make)
        except (FileNotFoundError, RuntimeError) as exc:
            raise ServiceUnavailableException(
                _("The PDF receipt cannot be made just now; print this page instead.")
            ) from exc
        kept.put((payment_id, locale), pdf)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="receipt-{receipt.payment.receipt_code}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


def _kept_pdfs(request: Request[Any, Any, Any]) -> KeptPdfs:
    state = request.app.state
    if "receipt_pdfs" not in state:
        state["receipt_pdfs"] = KeptPdfs()
    return cast(KeptPdfs, state["receipt_pdfs"])


@get("/receipts/check", name="receipt-check")
async def check_receipt(
    db_session: NamedDependency[AsyncSession], code: FromQuery[str | None] = None
) -> Template:
    """Anyone may check a receipt's code: real or not, its amount and date — never who paid."""
    payment = await receipt_with_code(db_session, code) if code else None
    return Template(
        "payments/check.html",
        context={"code": (code or "")[:64], "payment": payment, "asked": bool(code)},
    )


route_handlers = [
    bills_page,
    bill_page,
    insurance_page,
    save_insurance,
    receipts_page,
    check_receipt,
    receipt_page,
    receipt_pdf_page,
]
