"""Bills the hospital's own systems (HIS) send: JSON for ``POST /api/v1/bills``,
``POST /api/v1/bills/{number}/voids`` and ``python -m portal import-bills FILE.json``.

A bill is matched by the hospital's bill number, so sending the same file twice changes
nothing; money is whole fen (分), never a decimal."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from portal.web.jsonbody import InputStruct, Line, read_json

NUMBER_PATTERN = r"^[A-Za-z0-9_.:/-]+$"
NUMBER_PROBLEM = "may contain only the letters A-Z and a-z, digits and _ . : / -"
BillNumber = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=40,
        pattern=NUMBER_PATTERN,
        description="The hospital's bill number, unique in the hospital: MZ20261202000123",
        extra={"problem": NUMBER_PROBLEM},
    ),
]
LineNumber = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=32,
        pattern=NUMBER_PATTERN,
        description="The line's number in its bill, unique in the bill: 1, 2, 3 …",
        extra={"problem": NUMBER_PROBLEM},
    ),
]
ItemCode = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=32,
        pattern=NUMBER_PATTERN,
        description="The item's code in the hospital's fee schedule",
        extra={"problem": NUMBER_PROBLEM},
    ),
]
Category = Literal["registration", "examination", "lab_test", "medicine", "material"]
MAX_FEN = 100_000_000  # ¥1,000,000: above any outpatient line


class ByCardNumber(InputStruct, tag_field="system", tag="card_number"):
    """The patient's e-card number (就诊卡号), 16 digits; a replaced card still names them."""

    value: Annotated[
        str, Meta(pattern=r"^[0-9]{16}$", extra={"problem": "must be the card's 16 digits"})
    ]


class ByIdNumber(InputStruct, tag_field="system", tag="id_number"):
    """The patient's resident ID number (身份证号), 18 characters."""

    value: Annotated[
        str,
        Meta(
            pattern=r"^[0-9]{17}[0-9X]$",
            extra={"problem": "must be the 18 characters of a resident ID number"},
        ),
    ]


PatientRef = ByCardNumber | ByIdNumber
"""Whose bill it is: ``{"system": "card_number", "value": "…"}`` or
``{"system": "id_number", "value": "…"}``."""


class ItemIn(InputStruct):
    """One line of a bill: what, how many, at what unit price in fen."""

    line: LineNumber
    code: ItemCode
    name: Annotated[Line, Meta(min_length=1, max_length=120, description="血常规")]
    category: Annotated[
        Category,
        Meta(
            description="registration 挂号, examination 检查, lab_test 检验, medicine 药品, material 材料"
        ),
    ]
    unit_price_fen: Annotated[
        int, Meta(ge=0, le=MAX_FEN, description="Price of one, in fen (分): 2500 is ¥25.00")
    ]
    quantity: Annotated[int, Meta(ge=1, le=10000)] = 1
    insurance_class: Annotated[
        Literal["A", "B", "C"],
        Meta(
            description=(
                "The item's class in the insurance catalogue: A 甲类 (covered), B 乙类 (a "
                "self-paid part first), C 丙类 (not covered)"
            )
        ),
    ] = "C"


class BillIn(InputStruct):
    """A bill: its number, whose it is, what it is for, and its lines."""

    number: BillNumber
    patient: PatientRef
    title: Annotated[Line, Meta(min_length=1, max_length=120, description="检验费 · 心血管内科")]
    items: Annotated[list[ItemIn], Meta(min_length=1, max_length=200)]
    guidance: Annotated[
        Line,
        Meta(
            max_length=120,
            description="What the patient does once it is paid, in the hospital's words "
            "(shown after paying): 请到门诊楼 2 层抽血",
        ),
    ] = ""


class BillsImport(InputStruct):
    """Bills to add or update, each by its number, in one transaction."""

    bills: Annotated[list[BillIn], Meta(min_length=1, max_length=1000)]


class BillsResult(msgspec.Struct, kw_only=True):
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


class VoidIn(InputStruct):
    """Lines of a bill that will not be provided (a test cancelled, a medicine out of stock)."""

    lines: Annotated[list[LineNumber], Meta(min_length=1, max_length=200)]


class VoidResult(msgspec.Struct, kw_only=True):
    """The bill after the voids: its status and what is left to pay, in fen."""

    number: str
    status: Literal["unpaid", "paid", "refunded", "void"]
    total_fen: int
    voided: int


def decode_bills(data: bytes) -> BillsImport:
    """Parse and validate a bills file as strictly as the API does."""
    return read_json(data, BillsImport)
