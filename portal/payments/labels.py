"""Words for bills, in the reader's language."""

from __future__ import annotations

from portal.core.i18n import lazy_gettext
from portal.payments.models import (
    CARD,
    CASH,
    CLASS_A,
    CLASS_B,
    CLASS_C,
    EXAMINATION,
    LAB_TEST,
    MATERIAL,
    MEDICINE,
    PAID,
    PROCESSING,
    REFUND_FAILED,
    REFUNDED,
    REFUNDED_OK,
    REGISTRATION,
    REQUESTED,
    SELF_PAY,
    UNPAID,
    URBAN_EMPLOYEE,
    URBAN_RURAL_RESIDENT,
    VOID,
    WECHAT,
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


_SCHEME = {
    URBAN_EMPLOYEE: lazy_gettext("Urban employee insurance"),
    URBAN_RURAL_RESIDENT: lazy_gettext("Urban and rural resident insurance"),
    SELF_PAY: lazy_gettext("Self-pay (no insurance)"),
}
_CLASS = {
    CLASS_A: lazy_gettext("Class A: covered by insurance"),
    CLASS_B: lazy_gettext("Class B: partly covered"),
    CLASS_C: lazy_gettext("Class C: not covered"),
}
_METHOD = {
    CASH: lazy_gettext("Cash"),
    CARD: lazy_gettext("Bank card"),
    WECHAT: lazy_gettext("WeChat Pay"),
}
_REFUND = {
    REQUESTED: lazy_gettext("asked for"),
    PROCESSING: lazy_gettext("on its way"),
    REFUNDED_OK: lazy_gettext("back in the account it came from"),
    REFUND_FAILED: lazy_gettext("failed: the cashier's office will contact you"),
}


def scheme_label(scheme: str) -> str:
    return str(_SCHEME.get(scheme, scheme))


def class_label(insurance_class: str) -> str:
    return str(_CLASS.get(insurance_class, insurance_class))


def method_label(method: str) -> str:
    return str(_METHOD.get(method, method))


def refund_status_label(status: str) -> str:
    return str(_REFUND.get(status, status))
