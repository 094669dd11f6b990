"""Reading a JSON request body strictly, and saying in plain words what is wrong with it.

Bodies are converted by msgspec into the operation's declared type in strict mode: a number sent
as a string is refused rather than quietly converted. What is refused is exactly what the OpenAPI
document (generated from the same types, see ``portal.web.openapi``) says is not allowed. Numbers
are read as JSON Schema reads them: ``7.0`` and ``7e0`` are the integer 7, ``7.5`` is not.

Input types derive from ``InputStruct``: unknown fields are refused, and every text field has a
pattern that the document shows. Python's ``re`` lets ``$`` match before a final line break where
JSON Schema's regular expressions do not, so ``InputStruct`` checks such text once more in full.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Request
from msgspec import Meta
from msgspec import inspect as mi

from portal.web.api import BODY, ApiProblem, FieldError

LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
"""One line of text: no control characters (NUL, line breaks, escape …)."""
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
"""Running text: tabs and line breaks allowed, no other control characters."""
LINE_PROBLEM = "must be one line of text without control characters (such as NUL or line breaks)"
TEXT_PROBLEM = (
    "must be text without control characters (such as NUL) other than tabs and line breaks"
)

Line = Annotated[str, Meta(pattern=LINE_PATTERN, extra={"problem": LINE_PROBLEM})]
Text = Annotated[str, Meta(pattern=TEXT_PATTERN, extra={"problem": TEXT_PROBLEM})]


def _unwrap(node: mi.Type) -> tuple[mi.Type, dict[str, Any]]:
    """The type under its metadata (and under ``| None``), with the metadata's ``extra``."""
    extra: dict[str, Any] = {}
    while True:
        if isinstance(node, mi.Metadata):
            extra = {**(node.extra or {}), **extra}
            node = node.type
        elif isinstance(node, mi.UnionType):
            arms = [t for t in node.types if not isinstance(t, mi.NoneType)]
            if len(arms) != 1:
                return node, extra
            node = arms[0]
        else:
            return node, extra


@functools.cache
def _text_rules(cls: type) -> dict[str, tuple[re.Pattern[str], str]]:
    """Each text field of a struct (or list of text) with its pattern and its problem words."""
    rules: dict[str, tuple[re.Pattern[str], str]] = {}
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    for field in info.fields:
        node, extra = _unwrap(field.type)
        if isinstance(node, mi.ListType):
            node, extra = _unwrap(node.item_type)
        arms = node.types if isinstance(node, mi.UnionType) else (node,)
        for arm in arms:  # a union (text or a whole number) has at most one text arm
            arm, arm_extra = _unwrap(arm)
            if isinstance(arm, mi.StrType) and arm.pattern:
                words = {**arm_extra, **extra}.get("problem", "does not have the form it takes")
                rules[field.name] = (re.compile(arm.pattern), words)
    return rules


class InputStruct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A JSON object the API takes in: unknown fields refused, text checked in full."""

    def __post_init__(self) -> None:
        for name, (pattern, problem) in _text_rules(type(self)).items():
            value = getattr(self, name)
            texts = value if isinstance(value, list) else [value]
            for index, text in enumerate(texts):
                # Only a final line break can slip past msgspec's search with "$".
                if isinstance(text, str) and text.endswith("\n") and not pattern.fullmatch(text):
                    where = f"{name}[{index}]" if isinstance(value, list) else name
                    raise ValueError(f"{where}: {problem}")


# -- turning msgspec's messages into plain words ----------------------------------------------

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_OWN = re.compile(r"^(?P<field>[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?): (?P<problem>.+)$", re.S)
_KINDS = {
    "str": "text (a JSON string)",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "object": "a JSON object",
    "array": "a JSON array",
    "date": "a date like 2026-12-01",
}
_COMPARE = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}


def _kinds(names: str) -> str:
    return " or ".join(_KINDS.get(name.strip(), name.strip()) for name in names.split("|"))


def _plain(message: str, node: mi.Type | None) -> str:
    """msgspec's description of one problem, in plain words."""
    if m := re.fullmatch(r"Expected `([^`]+)`, got `([^`]+)`", message):
        return f"must be {_kinds(m[1])}"
    if m := re.fullmatch(r"Expected `(str|array|object)` of length ([<>]=?) (\d+)", message):
        if m[1] == "str" and m[2] == ">=" and m[3] == "1":
            return "must not be empty"
        unit = "characters" if m[1] == "str" else "items"
        return f"must have {_COMPARE[m[2]]} {m[3]} {unit}"
    if m := re.fullmatch(r"Expected `(int|float)` ([<>]=?) (\S+)", message):
        return f"must be {_COMPARE[m[2]]} {m[3]}"
    if m := re.fullmatch(r"Expected `str` matching regex '(.*)'", message, re.S):
        return f"does not have the form this field takes (the pattern {m[1]})"
    if message.startswith("Invalid enum value"):
        return "must be one of: " + ", ".join(_choices(node))
    if message.startswith("Invalid RFC3339 encoded date"):
        return "must be a real date like 2026-12-01"
    if message in {"Number out of range", "Integer value out of range"}:
        return "is too large a number"
    return message[:1].lower() + message[1:]


def _choices(node: mi.Type | None) -> list[str]:
    if isinstance(node, mi.LiteralType):
        return [str(v) for v in node.values]
    if isinstance(node, mi.EnumType):
        return [str(member.value) for member in node.cls]
    return []


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _STEP.findall(path)]


def _join(steps: list[str | int]) -> str:
    text = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps).lstrip(".")
    return text or BODY


def _node_at(model: type, steps: list[str | int]) -> tuple[mi.Type | None, dict[str, Any]]:
    """The declared type at a path into the body, and the ``extra`` of its metadata."""
    node: mi.Type = mi.type_info(model)
    for step in steps:
        node, _extra = _unwrap(node)
        if isinstance(step, int) and isinstance(node, mi.ListType):
            node = node.item_type
        elif isinstance(step, str) and isinstance(node, mi.StructType | mi.DataclassType):
            found = [f.type for f in node.fields if f.encode_name == step]
            if not found:
                return None, {}
            node = found[0]
        else:
            return None, {}
    return _unwrap(node)


def _json_number(literal: str) -> int | float:
    """A JSON number that is not written as an integer: JSON Schema counts ``1031.0`` and ``1e3``
    as integers, so they become ints (read exactly from the literal); anything else a float."""
    value = Decimal(literal)
    if value.is_finite() and value == value.to_integral_value() and value.adjusted() < 30:
        return int(value)
    return float(literal)


_READER = msgspec.json.Decoder(float_hook=_json_number)


def read_json(body: bytes, model: type) -> Any:
    """``body`` as an instance of ``model``, strictly (raises ``msgspec.DecodeError`` when it is
    not JSON, ``msgspec.ValidationError`` when it does not fit)."""
    return msgspec.convert(_READER.decode(body), model, strict=True)


def _value_at(body: bytes, steps: list[str | int]) -> tuple[bool, Any]:
    try:
        value: Any = _READER.decode(body)
        for step in steps:
            value = value[step]
    except (msgspec.DecodeError, LookupError, TypeError, RecursionError):
        return False, None
    return True, value


def _shown(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "a number that large"
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= 40 else text[:39] + "…"


def field_error(exc: msgspec.ValidationError, model: type, body: bytes) -> FieldError:
    """Which field a validation error is about, and what is wrong with it, in plain words. Where
    the type declares its own words (``Meta(extra={"problem": …})``) those are used, followed by
    the value that was sent."""
    parts = _AT.fullmatch(str(exc))
    assert parts is not None  # the pattern matches any text
    message, steps = parts["message"], _steps(parts["path"] or "")
    if m := re.fullmatch(r"Object (missing required|contains unknown) field `([^`]+)`", message):
        known = m[1] == "missing required"
        return FieldError(
            field=_join([*steps, m[2]]),
            problem="is required" if known else "is not a field of this object",
        )
    if own := _OWN.fullmatch(message):  # raised by our own __post_init__ checks
        steps = steps + _steps("." + own["field"])
        problem = own["problem"]
    else:
        node, extra = _node_at(model, steps)
        problem = _plain(message, node)
        # A field's own words say what it takes; a plain wrong type is clearer said plainly,
        # except where the field takes one of several types (a fee: text or a whole number).
        wrong_type = message.startswith("Expected `") and ", got `" in message
        if "problem" in extra and (not wrong_type or isinstance(node, mi.UnionType)):
            problem = extra["problem"]
    found, value = _value_at(body, steps)
    if found and not isinstance(value, dict | list):
        problem = f"{problem}, not {_shown(value)}"
    elif got := re.fullmatch(r"Expected `[^`]+`, got `([^`]+)`", message):
        problem = f"{problem}, not {_kinds(got[1])}"
    return FieldError(field=_join(steps), problem=problem)


def decode_strictly(body: bytes, model: type) -> Any:
    """``body`` as an instance of ``model``; ``ApiProblem`` 400 when it is not JSON, 422 when it
    does not fit the type."""
    try:
        return read_json(body, model)
    except msgspec.ValidationError as exc:
        raise ApiProblem(422, [field_error(exc, model, body)]) from exc
    except msgspec.DecodeError as exc:
        problem = str(exc).removeprefix("JSON is malformed: ")
        raise ApiProblem(
            400, [FieldError(field=BODY, problem=f"is not valid JSON ({problem})")]
        ) from exc
    except RecursionError as exc:  # [[[[…]]]]: nothing we take is nested more than a few deep
        raise ApiProblem(400, [FieldError(field=BODY, problem="is nested too deeply")]) from exc


class ApiRequest(Request[Any, Any, Any]):
    """A request to a JSON API operation: its body is decoded strictly into the type the handler
    declares for ``data`` (Litestar's own decoding converts loosely: ``"7"`` would become 7)."""

    async def json(self) -> Any:
        data_field = self.route_handler.parsed_fn_signature.parameters["data"]
        return decode_strictly(await self.body(), data_field.annotation)
