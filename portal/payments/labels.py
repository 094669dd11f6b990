"""Words for bills, in the reader's language."""

from __future__ import annotations

from portal.core.i18n import lazy_gettext
from portal.payments.models import (
    EXAMINATION,
    LAB_TEST,
    MATERIAL,
    MEDICINE,
    PAID,
    REFUNDED,
    REGISTRATION,
    UNPAID,
    VOID,
)

_STATUS = {
    UNPAID: lazy_gettext("To pay"),
    PAID: lazy_gettext("Paid"),
    REFUNDED: lazy_gettext("Refunded"),
    VOID: lazy_gettext("Void (nothing to pay)"),
}
_CATEGORY = {
    REGISTRATION: lazy_gettext("Registration"),
    EXAMINATION: lazy_gettext("Examination"),
    LAB_TEST: lazy_gettext("Lab test"),
    MEDICINE: lazy_gettext("Medicine"),
    MATERIAL: lazy_gettext("Material"),
}


def bill_status_label(status: str) -> str:
    return str(_STATUS.get(status, status))


def category_label(category: str) -> str:
    return str(_CATEGORY.get(category, category))
