"""Who a family member is to the account holder, in the words the pages show."""

from __future__ import annotations

from enum import StrEnum

from portal.core.i18n import lazy_gettext


class Relationship(StrEnum):
    """The choices of the family-member form, stored as their value."""

    SELF = "self"
    PARENT = "parent"
    SPOUSE = "spouse"
    CHILD = "child"
    SIBLING = "sibling"
    OTHER = "other"

    @classmethod
    def of(cls, value: str) -> Relationship:
        """The stored value as a member; an unknown one (never written by us) reads as OTHER."""
        try:
            return cls(value)
        except ValueError:
            return cls.OTHER

    @property
    def label(self) -> str:
        return str(_LABELS[self])


_LABELS = {
    Relationship.SELF: lazy_gettext("Myself"),
    Relationship.PARENT: lazy_gettext("Parent"),
    Relationship.SPOUSE: lazy_gettext("Spouse"),
    Relationship.CHILD: lazy_gettext("Child"),
    Relationship.SIBLING: lazy_gettext("Brother or sister"),
    Relationship.OTHER: lazy_gettext("Other relative or friend"),
}

RELATIONSHIPS = tuple(Relationship)
"""In the order the form offers them."""
