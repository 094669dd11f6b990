"""The development settlement's rules at their edges: item classes, the deductible crossed in the
middle of a bill, the annual cap reached, rounding, and self-pay."""

from __future__ import annotations

import pytest

from portal.payments.insurance import YearSoFar, eligible_cents, split
from portal.settings import InsuranceScheme

EMPLOYEE = InsuranceScheme(deductible_fen=10_000, percent=70, annual_cap_fen=2_000_000)
RESIDENT = InsuranceScheme(deductible_fen=0, percent=50, annual_cap_fen=300_000)
B_SELF = 10


def test_each_class_counts_as_the_catalogue_says() -> None:
    assert eligible_cents([(1000, "A")], B_SELF) == 1000
    assert eligible_cents([(1000, "B")], B_SELF) == 900
    assert eligible_cents([(1000, "C")], B_SELF) == 0
    # The self-paid part of a 乙 line is rounded up: the patient pays the odd fen.
    assert eligible_cents([(1005, "B")], B_SELF) == 1005 - 101


def test_self_pay_pays_everything() -> None:
    share, after = split([(5000, "A"), (300, "C")], None, YearSoFar(), B_SELF)
    assert (share.total_cents, share.insurance_cents, share.patient_cents) == (5300, 0, 5300)
    assert after == YearSoFar()


def test_below_the_deductible_the_patient_pays_all_and_the_year_counts_it() -> None:
    share, after = split([(6000, "A")], EMPLOYEE, YearSoFar(), B_SELF)
    assert share.insurance_cents == 0 and share.deductible_cents == 6000
    assert after == YearSoFar(deductible_used_cents=6000, paid_cents=0)


def test_the_deductible_crossed_in_the_middle_of_a_bill() -> None:
    # 4,000 of the deductible is left: the first 4,000 of the eligible 10,000 are the patient's,
    # insurance pays 70 % of the other 6,000.
    share, after = split([(10_000, "A")], EMPLOYEE, YearSoFar(6000, 0), B_SELF)
    assert share.deductible_cents == 4000
    assert share.insurance_cents == 4200
    assert share.patient_cents == 5800
    assert after == YearSoFar(10_000, 4200)


def test_exactly_at_the_deductible_then_one_fen_over() -> None:
    at, after = split([(10_000, "A")], EMPLOYEE, YearSoFar(), B_SELF)
    assert at.insurance_cents == 0 and after.deductible_used_cents == 10_000
    over, _ = split([(1, "A")], EMPLOYEE, after, B_SELF)
    assert over.insurance_cents == 0  # 70 % of one fen, rounded down
    more, _ = split([(10, "A")], EMPLOYEE, after, B_SELF)
    assert more.insurance_cents == 7


def test_the_annual_cap_is_never_passed() -> None:
    nearly = YearSoFar(0, 300_000 - 1000)
    share, after = split([(10_000, "A")], RESIDENT, nearly, B_SELF)
    assert share.insurance_cents == 1000  # 5,000 by the rules, 1,000 left under the cap
    assert after.paid_cents == 300_000
    capped, _ = split([(10_000, "A")], RESIDENT, after, B_SELF)
    assert capped.insurance_cents == 0 and capped.patient_cents == 10_000


def test_a_mixed_bill() -> None:
    lines = [(1000, "A"), (6000, "B"), (150, "C")]
    share, _ = split(lines, RESIDENT, YearSoFar(), B_SELF)
    assert share.total_cents == 7150
    assert share.insurance_cents == (1000 + 5400) * 50 // 100
    assert share.patient_cents == 7150 - 3200


@pytest.mark.parametrize("percent", [0, 100])
def test_the_percentage_at_its_ends(percent: int) -> None:
    scheme = InsuranceScheme(deductible_fen=0, percent=percent, annual_cap_fen=10**9)
    share, _ = split([(4321, "A")], scheme, YearSoFar(), B_SELF)
    assert share.insurance_cents == 4321 * percent // 100


def test_bills_in_a_row_share_one_deductible() -> None:
    first, year = split([(8000, "A")], EMPLOYEE, YearSoFar(), B_SELF)
    second, year = split([(8000, "A")], EMPLOYEE, year, B_SELF)
    assert first.insurance_cents == 0
    assert second.deductible_cents == 2000 and second.insurance_cents == 6000 * 70 // 100
    assert year == YearSoFar(10_000, 4200)
