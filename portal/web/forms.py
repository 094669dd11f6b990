"""Form handling shared by every feature: rule errors that name a field, and re-shown values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class RuleError(Exception):
    """A business rule said no. ``message`` is already in the user's language; ``field`` names the
    form field it belongs to (or None for the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class FormState:
    """What a form shows again after a failed submission: the values typed and the errors."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def add(self, exc: RuleError) -> FormState:
        self.errors[exc.field or "__all__"] = exc.message
        return self


def form_text(data: Mapping[str, Any], name: str, max_length: int = 200) -> str:
    """A trimmed text value from submitted form data, bounded in length."""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()[:max_length]
