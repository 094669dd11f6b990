"""The insurance share (医保): for a patient's bills, how much insurance pays and how much the
patient pays, behind one interface (``Settlement``).

The development settlement follows the rules in settings (``InsuranceSettings``), as an
outpatient pooling scheme does: each line's insurance class (甲 covered, 乙 a self-paid part first
and the rest covered, 丙 self-paid) decides what is eligible; of the eligible amount the patient
first pays what is left of the year's deductible (起付线); insurance pays its percentage of the
rest, up to what is left of the year's cap. The year's running totals are kept per patient
(``InsuranceYear``) and move only when bills are settled, in the paying transaction. Before
that, the share is an estimate, and pages say so.

The real settlement (the national insurance platform, 医保电子凭证) implements the same two
methods: ``estimate_from`` (arithmetic on what a page read) and ``settle`` (inside the paying
transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db.transactions import insert_if_absent
from portal.payments.models import (
    CLASS_A,
    CLASS_B,
    SCHEMES,
    SELF_PAY,
    URBAN_EMPLOYEE,
    URBAN_RURAL_RESIDENT,
    Bill,
    InsuranceCover,
    InsuranceYear,
)
from portal.payments.money import yuan
from portal.settings import InsuranceScheme, InsuranceSettings


@dataclass(frozen=True)
class Share:
    """A bill split: its total, what insurance pays, what the patient pays (fen). ``estimate``
    is true until the bill is settled."""

    total_cents: int
    insurance_cents: int
    deductible_cents: int = 0
    estimate: bool = True

    @property
    def patient_cents(self) -> int:
        return self.total_cents - self.insurance_cents

    @property
    def total(self) -> object:
        return yuan(self.total_cents)

    @property
    def insurance(self) -> object:
        return yuan(self.insurance_cents)

    @property
    def patient(self) -> object:
        return yuan(self.patient_cents)


@dataclass(frozen=True)
class YearSoFar:
    """What the year has counted before this bill."""

    deductible_used_cents: int = 0
    paid_cents: int = 0


def eligible_cents(lines: Sequence[tuple[int, str]], class_b_self_percent: int) -> int:
    """The part of these lines (amount, class) insurance may pay: 甲 all of it, 乙 all but the
    self-paid part (rounded up: the patient pays the odd fen), 丙 none."""
    eligible = 0
    for amount, insurance_class in lines:
        if insurance_class == CLASS_A:
            eligible += amount
        elif insurance_class == CLASS_B:
            self_paid = -(-amount * class_b_self_percent // 100)  # rounded up
            eligible += amount - self_paid
    return eligible


def split(
    lines: Sequence[tuple[int, str]],
    scheme: InsuranceScheme | None,
    year: YearSoFar,
    class_b_self_percent: int,
) -> tuple[Share, YearSoFar]:
    """One bill's share under ``scheme`` (None: self-pay) given the year so far, and the year
    after it. Insurance's part is rounded down: it never pays a fen more than the rules say."""
    total = sum(amount for amount, _ in lines)
    if scheme is None:
        return Share(total, 0), year
    eligible = eligible_cents(lines, class_b_self_percent)
    deductible = min(eligible, max(0, scheme.deductible_fen - year.deductible_used_cents))
    insurance = (eligible - deductible) * scheme.percent // 100
    insurance = min(insurance, max(0, scheme.annual_cap_fen - year.paid_cents))
    after = YearSoFar(year.deductible_used_cents + deductible, year.paid_cents + insurance)
    return Share(total, insurance, deductible), after


def lines_of(bill: Bill) -> list[tuple[int, str]]:
    return [(i.amount_cents, i.insurance_class) for i in bill.items if not i.is_void]


class Settlement(Protocol):
    """Splits bills between insurance and the patient. Estimates are worked out here from the
    published rules (no call to anyone); only ``settle`` would ask the insurance platform."""

    def estimate_from(
        self, bills: Sequence[Bill], scheme: str, so_far: YearSoFar
    ) -> dict[UUID, Share]:
        """The split of these bills, in this order, for a patient in ``scheme`` whose year has
        counted ``so_far`` (no reading, no change: pages keep what they read)."""
        ...

    async def settle(
        self, session: AsyncSession, patient_id: UUID, bills: Sequence[Bill], year: int
    ) -> dict[UUID, Share]:
        """Split and count these bills in the patient's year, in the caller's transaction."""
        ...


async def scheme_of(session: AsyncSession, patient_id: UUID) -> str:
    """The patient's insurance scheme; self-pay (自费) until the family chooses one."""
    scheme = await session.scalar(
        select(InsuranceCover.scheme).where(InsuranceCover.patient_id == patient_id)
    )
    return scheme if scheme in SCHEMES else SELF_PAY


async def set_scheme(session: AsyncSession, patient_id: UUID, scheme: str) -> None:
    """Record the patient's scheme in the caller's (write) transaction: two saves at once both
    succeed, the later one winning (no read first, no duplicate row)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown insurance scheme {scheme!r}")
    await insert_if_absent(session, InsuranceCover, patient_id=patient_id, scheme=scheme)
    await session.execute(
        update(InsuranceCover)
        .where(InsuranceCover.patient_id == patient_id)
        .values(scheme=scheme)
        .execution_options(synchronize_session=False)
    )


class DevelopmentSettlement:
    """The rules in settings, counted per patient per calendar year."""

    def __init__(self, rules: InsuranceSettings) -> None:
        self.rules = rules

    def _scheme(self, name: str) -> InsuranceScheme | None:
        return {URBAN_EMPLOYEE: self.rules.employee, URBAN_RURAL_RESIDENT: self.rules.resident}.get(
            name
        )

    async def _year(
        self, session: AsyncSession, patient_id: UUID, year: int
    ) -> InsuranceYear | None:
        return await session.scalar(
            select(InsuranceYear).where(
                InsuranceYear.patient_id == patient_id, InsuranceYear.year == year
            )
        )

    def _split_in_turn(
        self, bills: Sequence[Bill], scheme: str, so_far: YearSoFar
    ) -> tuple[dict[UUID, Share], YearSoFar]:
        rules = self._scheme(scheme)
        shares: dict[UUID, Share] = {}
        for bill in bills:
            share, so_far = split(lines_of(bill), rules, so_far, self.rules.class_b_self_percent)
            shares[bill.id] = share
        return shares, so_far

    def estimate_from(
        self, bills: Sequence[Bill], scheme: str, so_far: YearSoFar
    ) -> dict[UUID, Share]:
        return self._split_in_turn(bills, scheme, so_far)[0]

    async def _split_all(
        self, session: AsyncSession, patient_id: UUID, bills: Sequence[Bill], year: int
    ) -> tuple[dict[UUID, Share], YearSoFar, InsuranceYear | None]:
        scheme = await scheme_of(session, patient_id)
        row = await self._year(session, patient_id, year)
        so_far = YearSoFar(row.deductible_used_cents, row.paid_cents) if row else YearSoFar()
        shares, after = self._split_in_turn(bills, scheme, so_far)
        return shares, after, row

    async def settle(
        self, session: AsyncSession, patient_id: UUID, bills: Sequence[Bill], year: int
    ) -> dict[UUID, Share]:
        shares, after, row = await self._split_all(session, patient_id, bills, year)
        if row is None:
            row = InsuranceYear(patient_id=patient_id, year=year)
            session.add(row)
        row.deductible_used_cents = after.deductible_used_cents
        row.paid_cents = after.paid_cents
        return {
            bill_id: Share(s.total_cents, s.insurance_cents, s.deductible_cents, estimate=False)
            for bill_id, s in shares.items()
        }


INSURANCE_TABLES = (InsuranceCover.__tablename__, InsuranceYear.__tablename__)
"""The tables a reading of patients' schemes and years comes from."""


async def schemes_and_years(
    session: AsyncSession, patient_ids: Sequence[UUID], year: int
) -> tuple[dict[UUID, str], dict[UUID, YearSoFar]]:
    """Every patient's scheme and what their year has counted, in two statements."""
    if not patient_ids:
        return {}, {}
    ids = list(patient_ids)
    schemes = {
        patient_id: scheme if scheme in SCHEMES else SELF_PAY
        for patient_id, scheme in await session.execute(
            select(InsuranceCover.patient_id, InsuranceCover.scheme).where(
                InsuranceCover.patient_id.in_(ids)
            )
        )
    }
    years = {
        row.patient_id: YearSoFar(row.deductible_used_cents, row.paid_cents)
        for row in await session.scalars(
            select(InsuranceYear).where(
                InsuranceYear.patient_id.in_(ids), InsuranceYear.year == year
            )
        )
    }
    return {p: schemes.get(p, SELF_PAY) for p in ids}, years


SETTLEMENT = "settlement"


def settlement_from(state: Any) -> Settlement:
    """The app's settlement, kept in its state (the development rules; a real one plugs in here
    by settings)."""
    if SETTLEMENT not in state:
        state[SETTLEMENT] = DevelopmentSettlement(state.settings.insurance)
    settlement: Settlement = state[SETTLEMENT]
    return settlement
