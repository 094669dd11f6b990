"""The words of a family member's form: phone numbers as typed, and who someone is to you."""

from __future__ import annotations

import pytest

from portal.accounts.phones import checked_phone
from portal.accounts.relationships import RELATIONSHIPS, Relationship
from portal.core.errors import RuleError
from portal.core.i18n import use_locale


@pytest.mark.parametrize(
    "typed", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "１３８１２３４５６７８"]
)
def test_a_phone_number_has_one_spelling(typed: str) -> None:
    assert checked_phone(typed) == "13812345678"


@pytest.mark.parametrize("typed", ["", "12812345678", "1381234567", "138123456789", "abc"])
def test_what_is_not_a_mobile_number_is_refused_on_its_field(typed: str) -> None:
    with use_locale("en"), pytest.raises(RuleError) as refused:
        checked_phone(typed, "new_phone")
    assert refused.value.field == "new_phone"
    assert "11-digit" in refused.value.message


def test_the_form_offers_every_relationship_and_yourself_first() -> None:
    assert RELATIONSHIPS[0] is Relationship.SELF
    assert [str(r) for r in RELATIONSHIPS] == [
        "self",
        "parent",
        "spouse",
        "child",
        "sibling",
        "other",
    ]


def test_a_stored_value_reads_back_as_its_member_and_compares_with_its_text() -> None:
    assert Relationship.of("parent") is Relationship.PARENT
    assert Relationship.of("parent") == "parent"


def test_a_value_we_never_wrote_reads_as_other_rather_than_failing_the_page() -> None:
    assert Relationship.of("cousin") is Relationship.OTHER


def test_relationships_are_named_in_the_visitors_language() -> None:
    with use_locale("en"):
        assert Relationship.SIBLING.label == "Brother or sister"
    with use_locale("zh_Hans"):
        assert Relationship.SELF.label == "本人"
