"""What the accounts feature tells others (listeners are declared in their ``Feature``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class PatientAdded:
    """A person was registered with the hospital for the first time (not when another account
    links an already known patient). Emitted inside the transaction that adds them, after their
    row was flushed: a listener may refer to ``patient_id``."""

    patient_id: UUID
