"""Reading API bodies strictly, and the plain words for what is wrong with them."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import msgspec
import pytest
from msgspec import Meta

from portal.web.api import FieldError
from portal.web.jsonbody import InputStruct, Line, field_error, read_json


class Item(InputStruct):
    code: Annotated[str, Meta(pattern=r"^[A-Z]+$", extra={"problem": "must be capital letters"})]
    kind: Literal["small", "large"] = "small"
    count: Annotated[int, Meta(ge=0, le=10)] = 0
    note: Line = ""
    tags: list[Line] = msgspec.field(default_factory=list)


class Order(InputStruct):
    items: list[Item]


def problem(body: bytes) -> FieldError:
    with pytest.raises(msgspec.ValidationError) as caught:
        read_json(body, Order)
    return field_error(caught.value, Order, body)


@pytest.mark.parametrize(("literal", "value"), [("3.0", 3), ("1e1", 10), ("7E0", 7), ("0.00", 0)])
def test_numbers_with_nothing_after_the_point_are_integers_as_json_schema_says(
    literal: str, value: int
) -> None:
    order = read_json(b'{"items": [{"code": "A", "count": %s}]}' % literal.encode(), Order)
    assert order.items[0].count == value


def test_a_huge_exponent_is_refused_quickly_without_building_the_number() -> None:
    error = problem(b'{"items": [{"code": "A", "count": 1e999999999}]}')
    assert error == FieldError(
        field="items[0].count", problem="must be a whole number, not a number that large"
    )
    assert math.isinf(float("1e999999999"))


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            b'{"items": [{"code": "A", "count": "3"}]}',
            "items[0].count",
            'must be a whole number, not "3"',
        ),
        (
            b'{"items": [{"code": "A", "count": 3.5}]}',
            "items[0].count",
            "must be a whole number, not 3.5",
        ),
        (
            b'{"items": [{"code": "A", "count": 11}]}',
            "items[0].count",
            "must be at most 10, not 11",
        ),
        (b'{"items": [{"code": "a"}]}', "items[0].code", 'must be capital letters, not "a"'),
        (b'{"items": [{"code": "A\\n"}]}', "items[0].code", 'must be capital letters, not "A\\n"'),
        (
            b'{"items": [{"code": "A", "kind": "huge"}]}',
            "items[0].kind",
            'must be one of: large, small, not "huge"',
        ),
        (
            b'{"items": [{"code": "A", "tags": ["x", "y\\u0000"]}]}',
            "items[0].tags[1]",
            "must be one line",
        ),
        (b'{"items": [{"kind": "small"}]}', "items[0].code", "is required"),
        (
            b'{"items": [{"code": "A", "colour": "red"}]}',
            "items[0].colour",
            "is not a field of this object",
        ),
        (b'{"items": {}}', "items", "must be a JSON array, not a JSON object"),
        (b"[]", "body", "must be a JSON object, not a JSON array"),
    ],
)
def test_each_problem_names_the_field_in_plain_words(body: bytes, field: str, words: str) -> None:
    error = problem(body)
    assert error.field == field
    assert error.problem.startswith(words), error.problem


def test_not_json_is_a_decode_error() -> None:
    with pytest.raises(msgspec.DecodeError):
        read_json(b'{"items": [', Order)
