"""Domain errors: what a service says when it will not do what was asked.

Services raise these and never an HTTP exception; the web layer maps each kind to a page in the
visitor's language or to JSON (portal/web/errors.py): a broken rule is 400, something that does
not exist (or is not this account's to see) 404, not allowed 403, a conflict with what another
request just did 409. ``message`` is already in the user's language; ``field`` names the form
field it belongs to (None for the whole form).
"""

from __future__ import annotations


class DomainError(Exception):
    """The base of every refusal a service gives in words."""

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleError(DomainError):
    """A business rule said no (a full slot, a limit reached, a code that is not right)."""


class NotFound(DomainError):
    """No such thing — or not one this account may see, which must look the same."""


class NotAllowed(DomainError):
    """It exists, but this person may not do that (a doctor at another doctor's room)."""


class Conflict(DomainError):
    """Another request changed the same thing a moment ago; looking again will show it."""
