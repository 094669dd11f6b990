"""The timetable the hospital's own systems (HIS) send: JSON for ``POST /api/v1/timetable`` and
``python -m portal import-timetable FILE.json``. Everything is matched by the hospital's own codes,
so sending the same file twice changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from portal.web.jsonbody import InputStruct, Line, Text, read_json

CODE_PATTERN = r"^[A-Za-z0-9_.:-]+$"
CODE_PROBLEM = "may contain only the letters A-Z and a-z, digits and _ . : -"
Code = Annotated[
    str, Meta(min_length=1, max_length=32, pattern=CODE_PATTERN, extra={"problem": CODE_PROBLEM})
]
SessionCode = Annotated[
    str, Meta(min_length=1, max_length=64, pattern=CODE_PATTERN, extra={"problem": CODE_PROBLEM})
]
ClockTime = Annotated[
    str,
    Meta(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="A local time of day, 24-hour: 08:30",
        extra={"problem": "must be a time of day from 00:00 to 23:59, like 08:30"},
    ),
]
Keyword = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=30,
        pattern=r"^[^,\x00-\x1f\x7f-\x9f]+$",
        extra={"problem": "must be one word or phrase, without commas or control characters"},
    ),
]
FEE_PROBLEM = (
    "must be a decimal number of yuan from 0 to 10000 with at most two decimal places, like "
    '"50.00" (a string), or a whole number like 50'
)
Fee = Annotated[
    Annotated[str, Meta(pattern=r"^(10000(\.00?)?|(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?)$")]
    | Annotated[int, Meta(ge=0, le=10000)],
    Meta(
        description=(
            'Registration fee in yuan, 0 to 10000: "50.00" (a string, at most two decimal '
            "places) or 50 (a whole number). No exponents, NaN or Infinity."
        ),
        extra={"problem": FEE_PROBLEM},
    ),
]
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
SessionDate = Annotated[
    date,
    Meta(
        description="The day of the session, from 2000-01-01 to 2099-12-31",
        extra_json_schema={"pattern": "^20[0-9]{2}-"},
    ),
]
Title = Literal["chief", "associate_chief", "attending", "resident"]
Period = Literal["morning", "afternoon", "evening"]


class DepartmentIn(InputStruct):
    """A clinic department (科室)."""

    code: Code
    name: Annotated[Line, Meta(min_length=1, max_length=50, description="心血管内科")]
    name_en: Annotated[Line, Meta(max_length=80, description="Cardiology")] = ""
    description: Annotated[Text, Meta(max_length=2000)] = ""
    location: Annotated[Line, Meta(max_length=100, description="门诊楼 3 层 B 区")] = ""
    keywords: Annotated[
        list[Keyword],
        Meta(
            max_length=100, description="Illnesses and symptoms patients search for: 高血压, 胸闷"
        ),
    ] = msgspec.field(default_factory=list)
    position: Annotated[int, Meta(ge=0, le=10000, description="Order in lists, smallest first")] = 0


class DoctorIn(InputStruct):
    """A doctor who sees outpatients."""

    code: Code
    department: Annotated[Code, Meta(description="The department's code")]
    name: Annotated[Line, Meta(min_length=1, max_length=50)]
    title: Annotated[
        Title,
        Meta(
            description="主任医师 chief, 副主任医师 associate_chief, 主治医师 attending, 住院医师 resident"
        ),
    ]
    specialties: Annotated[Text, Meta(max_length=500, description="擅长: what they treat")] = ""
    keywords: Annotated[list[Keyword], Meta(max_length=100)] = msgspec.field(default_factory=list)
    bio: Annotated[Text, Meta(max_length=4000)] = ""


class SlotIn(InputStruct):
    """A time window (分时段) and how many patients it takes."""

    start: ClockTime
    end: ClockTime
    capacity: Annotated[int, Meta(ge=0, le=500)]


class SessionIn(InputStruct):
    """A doctor's session (出诊). Give its time slots one by one in `slots`, or as a range:
    `start`, `end`, `slot_minutes` and `places_per_slot`."""

    code: SessionCode
    doctor: Annotated[Code, Meta(description="The doctor's code")]
    date: SessionDate
    period: Period
    fee: Fee
    room: Annotated[Line, Meta(max_length=60, description="3 层 305 诊室")] = ""
    status: Literal["open", "stopped"] = "open"
    slots: Annotated[list[SlotIn], Meta(max_length=200)] | None = None
    start: ClockTime | None = None
    end: ClockTime | None = None
    slot_minutes: Annotated[int, Meta(ge=5, le=240)] = 15
    places_per_slot: Annotated[int, Meta(ge=0, le=500)] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not FIRST_DAY <= self.date <= LAST_DAY:
            raise ValueError("date: must be a day from 2000-01-01 to 2099-12-31")

    @property
    def fee_yuan(self) -> Decimal:
        """The fee as an exact decimal (the schema allows nothing else through)."""
        return Decimal(self.fee)


class TimetableImport(InputStruct):
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


def decode_timetable(data: bytes) -> TimetableImport:
    """Parse and validate a timetable file (raises ``msgspec.ValidationError`` or ``DecodeError``)."""
    return read_json(data, TimetableImport)  # as strict as the API
