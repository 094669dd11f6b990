"""Demo bills (development only): what the hospital's system would have sent for the demo family
after earlier visits. The mother has lab tests to pay, the father his medicines, and an
examination he paid at the window last week."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.lookups import account_id_with_phone
from portal.accounts.seed import DEMO_PHONE
from portal.accounts.services import PatientService
from portal.core.events import EventBus
from portal.payments.insurance import set_scheme
from portal.payments.models import (
    BILLED,
    CLASS_A,
    CLASS_B,
    CLASS_C,
    EXAMINATION,
    HOSPITAL,
    LAB_TEST,
    MATERIAL,
    MEDICINE,
    PAID,
    UNPAID,
    URBAN_EMPLOYEE,
    URBAN_RURAL_RESIDENT,
    Bill,
    BillItem,
)

DEMO_SCHEMES = {"王秀英": URBAN_RURAL_RESIDENT, "李建国": URBAN_EMPLOYEE}
"""The mother is in the residents' scheme, the father in the employees'; the daughter has not
said (self-pay until she does)."""

# (patient, bill number, title, status, [(line, code, name, category, quantity, unit fen, class)])
DEMO_BILLS = [
    (
        "王秀英",
        "MZ-DEMO-0001",
        "检验费 · 内分泌科",
        UNPAID,
        [
            ("1", "LAB-GLU", "空腹血糖", LAB_TEST, 1, 1000, CLASS_A),
            ("2", "LAB-HBA1C", "糖化血红蛋白", LAB_TEST, 1, 6000, CLASS_B),
            ("3", "MAT-NEEDLE", "一次性采血针", MATERIAL, 1, 150, CLASS_C),
        ],
    ),
    (
        "李建国",
        "MZ-DEMO-0002",
        "药费 · 心血管内科",
        UNPAID,
        [
            ("1", "MED-AML5", "苯磺酸氨氯地平片 5mg×28片", MEDICINE, 2, 2850, CLASS_A),
            ("2", "MED-ASA100", "阿司匹林肠溶片 100mg×30片", MEDICINE, 1, 1520, CLASS_A),
        ],
    ),
    (
        "李建国",
        "MZ-DEMO-0003",
        "检查费 · 心血管内科",
        PAID,
        [("1", "EXM-ECG", "常规心电图", EXAMINATION, 1, 2500, CLASS_A)],
    ),
]


async def seed_bills(session: AsyncSession, _today: date, _events: EventBus) -> None:
    account_id = await account_id_with_phone(session, DEMO_PHONE)
    if account_id is None:
        return
    family = {m.patient.name: m.id for m in await PatientService(session).family_of(account_id)}
    for name, scheme in DEMO_SCHEMES.items():
        await set_scheme(session, family[name], scheme)
    for name, number, title, status, lines in DEMO_BILLS:
        items = [
            BillItem(
                line=line,
                code=code,
                name=item,
                category=category,
                quantity=quantity,
                unit_cents=unit,
                amount_cents=quantity * unit,
                status=BILLED,
                insurance_class=insurance_class,
            )
            for line, code, item, category, quantity, unit, insurance_class in lines
        ]
        session.add(
            Bill(
                patient_id=family[name],
                account_id=None,
                kind=HOSPITAL,
                number=number,
                title=title,
                total_cents=sum(i.amount_cents for i in items),
                insurance_cents=0,
                status=status,
                items=items,
            )
        )
    await session.flush()
