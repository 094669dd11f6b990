"""What the accounts feature offers: logging in (``login``), the account and its preferences
(``account``), and family members with the reads other features need (``family``).

Other features import from here, never from ``portal.accounts.models``: a patient by id, their
masked name, the patients an account manages, the account lock for limits counted per account,
the patient lock for what one patient must not do twice at once (a check-in).
"""

from portal.accounts.phones import PHONE_PATTERN, normalize_phone
from portal.accounts.relationships import RELATIONSHIPS, Relationship
from portal.accounts.services.account import AccountService, lock_account
from portal.accounts.services.family import (
    ConsentNeeded,
    FamilyMember,
    PatientService,
    PhoneChangeNeedsConsent,
    lock_patient,
)
from portal.accounts.services.login import LoginService

__all__ = [
    "PHONE_PATTERN",
    "RELATIONSHIPS",
    "AccountService",
    "ConsentNeeded",
    "FamilyMember",
    "LoginService",
    "PatientService",
    "PhoneChangeNeedsConsent",
    "Relationship",
    "lock_account",
    "lock_patient",
    "normalize_phone",
]
