"""Masking of personal data: how names, ID numbers and phones appear on every screen."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张明 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明; Latin names keep their first and last letter."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """110101194201011234 → 110***********1234."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
