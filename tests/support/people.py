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
