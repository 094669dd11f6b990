"""Money as the portal keeps and shows it. Amounts are whole fen (分), so no rounding ever creeps
in; ``yuan`` turns them into the Decimal that ``|money`` formats. No table behind it: templates
and any feature may use it."""

from __future__ import annotations

from decimal import Decimal


def yuan(cents: int) -> Decimal:
    """Fen as yuan for display: 5000 → Decimal('50.00')."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
