"""Form handling shared by every feature: rule errors that name a field, and re-shown values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from portal.core.errors import NotFound, RuleError
from portal.core.i18n import gettext as _
from portal.web.text import BadText, clean_text


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

    @classmethod
    def read(cls, data: Mapping[str, Any], limits: Mapping[str, int]) -> FormState:
        """The named fields of a submitted form, each through ``form_text`` with its length
        limit. A refused value is kept empty and its message recorded on its field."""
        form = cls()
        for name, limit in limits.items():
            try:
                form.values[name] = form_text(data, name, limit)
            except InvalidInput as exc:
                form.values[name] = ""
                form.add(exc)
        return form

    def refuse_if_failed(self) -> None:
        """Raise the first recorded field error (inside the handler's ``except RuleError``)."""
        for name, message in self.errors.items():
            raise InvalidInput(message, None if name == "__all__" else name)


class InvalidInput(RuleError):
    """A submitted value was refused before any rule saw it (see portal.web.text)."""


def refused_text(exc: BadText, field: str | None) -> InvalidInput:
    """The field's message for a value portal.web.text refused."""
    if exc.problem == "too_long":
        return InvalidInput(
            _("This is too long: at most %(count)d characters, please.", count=exc.limit or 0),
            field,
        )
    return InvalidInput(
        _(
            "This holds characters that cannot be used here (invisible or control characters). "
            "Please type it again."
        ),
        field,
    )


def form_text(
    data: Mapping[str, Any], name: str, max_length: int = 200, *, multiline: bool = False
) -> str:
    """A text value from submitted form data, normalised and checked (portal.web.text).

    Raises InvalidInput naming the field when the value holds characters no field takes or is
    longer than ``max_length``. A field sent twice counts once: the first value."""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    if not isinstance(value, str):  # an uploaded file where text was expected
        raise InvalidInput(_("Please type this field; a file cannot be used here."), name)
    try:
        return clean_text(value, max_length=max_length, multiline=multiline)
    except BadText as exc:
        raise refused_text(exc, name) from exc


UNREADABLE_SCAN = "?"
"""What a scan that held refused characters becomes: a code no card matches ("not a visit card
code" at the desk), rather than an error page on a screen built for the next scan."""


def scanned_text(data: Mapping[str, Any], name: str = "code") -> str:
    """What a scanner (or a keypad) typed into a desk's or kiosk's code field."""
    try:
        return form_text(data, name, 200)
    except InvalidInput:
        return UNREADABLE_SCAN


def query_text(value: str, name: str) -> str:
    """A query parameter's text through the same normalisation as a form field."""
    try:
        return clean_text(value)
    except BadText as exc:
        raise refused_text(exc, name) from exc


def named_id(text: str | None) -> UUID | None:
    """The id a link's query or a form's hidden field names (``?patient=…``): None when none is
    named, NotFound when the text is no id at all (a malformed id names nothing, like an
    unknown one). Path parameters are typed (``{patient_id:uuid}``) and need none of this."""
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError as exc:
        raise NotFound() from exc
