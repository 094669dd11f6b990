"""The timetable JSON: what is accepted, how sessions are cut into slots, fees in fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec
import pytest

from portal.booking.imports import ImportRefused, fee_cents, session_slots
from portal.booking.schemas import SessionIn, decode_timetable


def test_a_session_range_is_cut_into_slots() -> None:
    item = SessionIn(
        code="S",
        doctor="D",
        date=date(2026, 12, 1),
        period="morning",
        fee="50",
        start="08:00",
        end="09:10",
        slot_minutes=15,
        places_per_slot=2,
    )
    slots = session_slots(item)
    assert [(s.start, s.end) for s in slots] == [
        ("08:00", "08:15"),
        ("08:15", "08:30"),
        ("08:30", "08:45"),
        ("08:45", "09:00"),
    ]  # 09:00–09:10 is too short for a slot
    assert {s.capacity for s in slots} == {2}


def test_a_session_needs_slots_or_a_range() -> None:
    item = SessionIn(
        code="S",
        doctor="D",
        date=date(2026, 12, 1),
        period="morning",
        fee="50",
    )
    with pytest.raises(ImportRefused):
        session_slots(item)


@pytest.mark.parametrize(
    ("fee", "cents"), [("50", 5000), ("0.5", 50), ("12.345", 1235), (20, 2000)]
)
def test_fees_become_whole_fen(fee: object, cents: int) -> None:
    assert fee_cents(Decimal(str(fee))) == cents


@pytest.mark.parametrize(
    "document",
    [
        b'{"doctors": [{"code": "D1", "department": "C", "name": "x", "title": "professor"}]}',
        b'{"sessions": [{"code": "S", "doctor": "D", "date": "2026-13-01", "period": "morning", "fee": 1}]}',
        b'{"sessions": [{"code": "S", "doctor": "D", "date": "2026-12-01", "period": "noon", "fee": 1}]}',
        b'{"departments": [{"code": "has space", "name": "x"}]}',
        b'{"surprise": []}',
        b'{"sessions": [{"code": "S", "doctor": "D", "date": "2026-12-01", "period": "morning", '
        b'"fee": 1, "start": "8:00"}]}',
        b'{"sessions": [{"code": "S", "doctor": "D", "date": "2026-12-01", "period": "morning", '
        b'"fee": "NaN"}]}',
        b'{"departments": [{"code": "C", "name": "a\\u0000b"}]}',
    ],
)
def test_malformed_timetables_are_refused(document: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_timetable(document)


def test_a_minimal_timetable_decodes() -> None:
    parsed = decode_timetable(
        b'{"departments": [{"code": "CARD", "name": "\xe5\xbf\x83"}], "sessions": []}'
    )
    assert parsed.departments[0].code == "CARD"
    assert parsed.doctors == []
