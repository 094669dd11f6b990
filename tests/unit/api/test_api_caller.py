"""What other features see of an API client: its scopes, and its name in the audit log."""

from __future__ import annotations

from uuid import UUID

from portal.api.services import ApiCaller, hash_token, new_token

LAB_SCANNER = ApiCaller(
    id=UUID("0195a0b1-7c3e-7d2a-9f00-123456789abc"),
    name="lab scanner",
    scopes=frozenset({"scan:lab"}),
)


def test_a_client_may_do_what_one_of_its_scopes_allows() -> None:
    assert LAB_SCANNER.allows("scan:lab", "scan:*")
    assert not LAB_SCANNER.allows("scan:pharmacy", "scan:*")
    assert not LAB_SCANNER.allows()


def test_a_client_acts_in_the_audit_log_under_its_own_name() -> None:
    actor = LAB_SCANNER.actor("10.0.0.7")
    assert (actor.kind, actor.id, actor.name, actor.address) == (
        "api",
        str(LAB_SCANNER.id),
        "lab scanner",
        "10.0.0.7",
    )


def test_tokens_are_random_and_kept_only_as_their_hash() -> None:
    first, second = new_token(), new_token()
    assert first != second and first.startswith("ymt_")
    assert hash_token(first) == hash_token(first) != hash_token(second)
    assert first not in hash_token(first)
