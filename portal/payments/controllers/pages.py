"""My bills (手机缴费): every family member's bills, unpaid first with the total due, and each
bill's lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from portal.accounts.dependencies import provide_patient_service
from portal.accounts.services import FamilyMember, PatientService
from portal.payments.dependencies import provide_bill_service
from portal.payments.models import Bill
from portal.payments.money import yuan
from portal.payments.services import BillService
from portal.web.auth import provide_account_id, requires_patient_login

dependencies = {
    "account_id": Provide(provide_account_id),
    "patient_service": Provide(provide_patient_service),
    "bill_service": Provide(provide_bill_service),
}
guards = [requires_patient_login]


@dataclass(frozen=True)
class Due:
    """What one family member has to pay: their unpaid bills and the sum of them."""

    member: FamilyMember
    bills: list[Bill]

    @property
    def total(self) -> Any:
        return yuan(sum(b.total_cents - b.insurance_cents for b in self.bills))


@get("/bills", name="bills", guards=guards, dependencies=dependencies)
async def bills_page(
    account_id: NamedDependency[UUID],
    patient_service: NamedDependency[PatientService],
    bill_service: NamedDependency[BillService],
    patient: FromQuery[str | None] = None,
) -> Template:
    """Unpaid bills first, per family member with what each has to pay; then paid and void
    ones. For everyone, or one family member (``?patient=``)."""
    family = await patient_service.family_on_page(account_id)
    chosen = next((m for m in family if str(m.id) == patient), None) if patient else None
    if patient and chosen is None:
        await patient_service.member_of(account_id, patient)  # 404 for someone else's patient
    shown = [chosen] if chosen else family
    bills = await bill_service.bills_of([m.id for m in shown])
    unpaid = [b for b in bills if b.is_unpaid]
    dues = [
        Due(member, [b for b in unpaid if b.patient_id == member.id])
        for member in shown
        if any(b.patient_id == member.id for b in unpaid)
    ]
    names = {m.id: m.patient.name for m in family}
    return Template(
        "payments/bills.html",
        context={
            "family": family,
            "chosen": chosen,
            "dues": dues,
            "settled": [b for b in bills if not b.is_unpaid],
            "names": names,
            "total_due": yuan(sum(b.total_cents - b.insurance_cents for b in unpaid)),
        },
    )


@get("/bills/{bill_id:uuid}", name="bill", guards=guards, dependencies=dependencies)
async def bill_page(
    account_id: NamedDependency[UUID],
    bill_id: FromPath[UUID],
    patient_service: NamedDependency[PatientService],
    bill_service: NamedDependency[BillService],
) -> Template:
    """One bill: whose, what for, each line, the total and what is still to pay."""
    family = await patient_service.family_on_page(account_id)
    bill = await bill_service.bill_of([m.id for m in family], bill_id)
    member = next(m for m in family if m.id == bill.patient_id)
    return Template("payments/bill.html", context={"bill": bill, "member": member})


route_handlers = [bills_page, bill_page]
