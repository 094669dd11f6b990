"""Valid, made-up ID numbers for tests."""

from __future__ import annotations

from datetime import date

from portal.accounts.idnumber import make_id_number


def id_number(born: date, sequence: int = 11, region: str = "110101") -> str:
    return make_id_number(region, born, sequence)


MOTHER = {
    "name": "王秀英",
    "id_number": id_number(date(1944, 3, 15), 28),
    "phone": "13911112222",
    "relationship": "parent",
}
SELF = {
    "name": "李静",
    "id_number": id_number(date(1976, 5, 12), 42),
    "phone": "13700000001",
    "relationship": "self",
}


def unique(member: dict[str, str], phone: str | None = None) -> dict[str, str]:
    """The same person with an ID number no other test uses: tests that share one live server
    must not meet each other's patients (that would need the patient's consent code)."""
    import random

    born = date(
        int(member["id_number"][6:10]),
        int(member["id_number"][10:12]),
        int(member["id_number"][12:14]),
    )
    sequence = random.randrange(1, 499) * 2 + (int(member["id_number"][16]) % 2)  # keep the sex
    region = f"{random.randrange(110000, 659999):06d}"  # any region: millions of IDs per birthday
    return {
        **member,
        "id_number": id_number(born, sequence % 1000, region),
        **({"phone": phone} if phone else {}),
    }
