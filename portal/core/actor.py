"""Who acts, as the audit log names them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member, a hospital system (API client), a patient, or the system."""

    kind: str
    id: str | None
    name: str
    address: str | None = None
