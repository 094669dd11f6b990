"""What to do once a bill is paid, in plain words: the hospital's own instruction when its bill
carried one (请到门诊楼 2 层抽血), else what the bill's main kind of line asks of the patient."""

from __future__ import annotations

from collections.abc import Sequence

from portal.core.i18n import gettext as _
from portal.payments.models import (
    EXAMINATION,
    LAB_TEST,
    MATERIAL,
    MEDICINE,
    REGISTRATION,
    Bill,
)


def _by_category(category: str) -> str:
    return {
        REGISTRATION: _("On the day of the visit, check in at the clinic with the e-card."),
        LAB_TEST: _("Go to the laboratory for the tests and show the e-card there."),
        EXAMINATION: _("Go to the examination department at the time given and show the e-card."),
        MEDICINE: _("Collect the medicine at the pharmacy window and show the e-card there."),
        MATERIAL: _("Show the e-card where the materials are used."),
    }.get(category, _("Show the e-card at the next desk."))


def _main_category(bill: Bill) -> str:
    """The category holding most of the bill's amount (a lab bill's needles are not what the
    patient goes for)."""
    amounts: dict[str, int] = {}
    for item in bill.items:
        if not item.is_void:
            amounts[item.category] = amounts.get(item.category, 0) + item.amount_cents
    return max(amounts, key=lambda c: amounts[c]) if amounts else REGISTRATION


def next_steps(bills: Sequence[Bill]) -> list[str]:
    """One instruction per different thing to do, in the bills' order."""
    steps: list[str] = []
    for bill in bills:
        step = bill.guidance or _by_category(_main_category(bill))
        if step not in steps:
            steps.append(step)
    return steps
