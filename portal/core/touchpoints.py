"""The hospital's touchpoints: where a card is scanned, who may work there, which codes it takes.

The policy (docs/design.md): dynamic codes only where medicine is dispensed or money taken;
either code elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from portal.core.i18n import lazy_gettext


class Touchpoint(StrEnum):
    REGISTRATION = "registration"
    TRIAGE = "triage"
    CLINIC = "clinic"
    PHARMACY = "pharmacy"
    LAB = "lab"
    REPORT_PICKUP = "report_pickup"
    CASHIER = "cashier"
    KIOSK = "kiosk"


class Role(StrEnum):
    NURSE = "nurse"  # registration and triage nurse
    DOCTOR = "doctor"
    PHARMACIST = "pharmacist"
    LAB = "lab"
    CASHIER = "cashier"
    ADMIN = "admin"


@dataclass(frozen=True)
class TouchpointInfo:
    label: Any
    dynamic_only: bool
    roles: frozenset[Role]


TOUCHPOINTS: dict[Touchpoint, TouchpointInfo] = {
    Touchpoint.REGISTRATION: TouchpointInfo(
        lazy_gettext("Registration desk"), False, frozenset({Role.NURSE})
    ),
    Touchpoint.TRIAGE: TouchpointInfo(lazy_gettext("Triage desk"), False, frozenset({Role.NURSE})),
    Touchpoint.CLINIC: TouchpointInfo(
        lazy_gettext("Doctor's room"), False, frozenset({Role.DOCTOR})
    ),
    Touchpoint.PHARMACY: TouchpointInfo(
        lazy_gettext("Pharmacy window"), True, frozenset({Role.PHARMACIST})
    ),
    Touchpoint.LAB: TouchpointInfo(lazy_gettext("Lab window"), False, frozenset({Role.LAB})),
    Touchpoint.REPORT_PICKUP: TouchpointInfo(
        lazy_gettext("Report pickup"), False, frozenset({Role.NURSE, Role.LAB})
    ),
    Touchpoint.CASHIER: TouchpointInfo(lazy_gettext("Cashier"), True, frozenset({Role.CASHIER})),
    Touchpoint.KIOSK: TouchpointInfo(lazy_gettext("Lobby kiosk"), False, frozenset()),
}

ROLE_LABELS: dict[Role, Any] = {
    Role.NURSE: lazy_gettext("Registration and triage nurse"),
    Role.DOCTOR: lazy_gettext("Doctor"),
    Role.PHARMACIST: lazy_gettext("Pharmacist"),
    Role.LAB: lazy_gettext("Laboratory staff"),
    Role.CASHIER: lazy_gettext("Cashier"),
    Role.ADMIN: lazy_gettext("Administrator"),
}


def parse_touchpoint(value: str) -> Touchpoint | None:
    try:
        return Touchpoint(value)
    except ValueError:
        return None


def role_may_use(role: Role, touchpoint: Touchpoint) -> bool:
    """Admins may use every desk; others only the desks of their role."""
    return role == Role.ADMIN or role in TOUCHPOINTS[touchpoint].roles
