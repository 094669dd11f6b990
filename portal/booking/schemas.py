"""The timetable the hospital's own systems (HIS) send: JSON for ``POST /api/v1/timetable`` and
``python -m portal import-timetable FILE.json``. Everything is matched by the hospital's own codes,
so sending the same file twice changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Code = Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.:-]+$")]
SessionCode = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ClockTime = Annotated[
    str,
    Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="A local time of day, 24-hour: 08:30"),
]
Title = Literal["chief", "associate_chief", "attending", "resident"]
Period = Literal["morning", "afternoon", "evening"]


class DepartmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A clinic department (科室)."""

    code: Code
    name: Annotated[str, Meta(min_length=1, max_length=50, description="心血管内科")]
    name_en: Annotated[str, Meta(max_length=80, description="Cardiology")] = ""
    description: Annotated[str, Meta(max_length=2000)] = ""
    location: Annotated[str, Meta(max_length=100, description="门诊楼 3 层 B 区")] = ""
    keywords: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=30)]],
        Meta(
            max_length=100, description="Illnesses and symptoms patients search for: 高血压, 胸闷"
        ),
    ] = msgspec.field(default_factory=list)
    position: int = 0


class DoctorIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A doctor who sees outpatients."""

    code: Code
    department: Annotated[Code, Meta(description="The department's code")]
    name: Annotated[str, Meta(min_length=1, max_length=50)]
    title: Annotated[
        Title,
        Meta(
            description="主任医师 chief, 副主任医师 associate_chief, 主治医师 attending, 住院医师 resident"
        ),
    ]
    specialties: Annotated[str, Meta(max_length=500, description="擅长: what they treat")] = ""
    keywords: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=30)]], Meta(max_length=100)
    ] = msgspec.field(default_factory=list)
    bio: Annotated[str, Meta(max_length=4000)] = ""


class SlotIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A time window (分时段) and how many patients it takes."""

    start: ClockTime
    end: ClockTime
    capacity: Annotated[int, Meta(ge=0, le=500)]


class SessionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A doctor's session (出诊). Give its time slots one by one in ``slots``, or as a range:
    ``start``, ``end``, ``slot_minutes`` and ``places_per_slot``."""

    code: SessionCode
    doctor: Annotated[Code, Meta(description="The doctor's code")]
    date: date
    period: Period
    fee: Annotated[Decimal, Meta(description="Registration fee in yuan, 0 to 10000: 50.00")]
    room: Annotated[str, Meta(max_length=60, description="3 层 305 诊室")] = ""
    status: Literal["open", "stopped"] = "open"
    slots: Annotated[list[SlotIn], Meta(max_length=200)] | None = None
    start: ClockTime | None = None
    end: ClockTime | None = None
    slot_minutes: Annotated[int, Meta(ge=5, le=240)] = 15
    places_per_slot: Annotated[int, Meta(ge=0, le=500)] | None = None


class TimetableImport(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Departments, doctors and sessions, in any combination; each upserted by its code."""

    departments: Annotated[list[DepartmentIn], Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )
    doctors: Annotated[list[DoctorIn], Meta(max_length=5000)] = msgspec.field(default_factory=list)
    sessions: Annotated[list[SessionIn], Meta(max_length=20000)] = msgspec.field(
        default_factory=list
    )


class ImportResult(msgspec.Struct, kw_only=True):
    """What an import changed."""

    departments_created: int = 0
    departments_updated: int = 0
    doctors_created: int = 0
    doctors_updated: int = 0
    sessions_created: int = 0
    sessions_updated: int = 0
    slots_created: int = 0
    slots_updated: int = 0
    slots_removed: int = 0
    warnings: list[str] = msgspec.field(default_factory=list)


class ImportProblems(msgspec.Struct, kw_only=True):
    """Why an import was refused; nothing was changed."""

    status: int
    title: str
    problems: list[str]


def decode_timetable(data: bytes) -> TimetableImport:
    """Parse and validate a timetable file (raises ``msgspec.ValidationError`` or ``DecodeError``)."""
    return msgspec.json.decode(data, type=TimetableImport)
