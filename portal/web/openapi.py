"""The OpenAPI document describes msgspec structs exactly as msgspec decodes them.

Litestar's own description of a struct loses some of what msgspec enforces (``additionalProperties:
false`` for ``forbid_unknown_fields``, constraints inside unions and optional fields). This plugin
takes the schema msgspec itself writes for each struct, so the document and the decoder are one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Reference, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition
from msgspec import inspect as mi

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

_REF = "#/components/schemas/{name}"
_NESTED = {"items", "additionalProperties", "not", "if", "then", "else", "contains"}
_LISTS = {"anyOf", "oneOf", "allOf", "prefixItems"}
_RENAMED = {"not": "schema_not", "if": "schema_if", "else": "schema_else"}


def _snake(name: str) -> str:
    return _RENAMED.get(name) or re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _named_types(cls: type) -> dict[str, type]:
    """Every struct, dataclass and enum reachable from ``cls``, by the name msgspec gives it."""
    found: dict[str, type] = {}

    def visit(node: mi.Type) -> None:
        if isinstance(node, mi.StructType | mi.DataclassType | mi.EnumType):
            if node.cls.__name__ in found:
                return
            found[node.cls.__name__] = node.cls
        for child in _children(node):
            visit(child)

    visit(mi.type_info(cls))
    return found


def _children(node: mi.Type) -> list[mi.Type]:
    if isinstance(node, mi.StructType | mi.DataclassType):
        return [field.type for field in node.fields]
    if isinstance(node, mi.Metadata):
        return [node.type]
    if isinstance(node, mi.UnionType):
        return list(node.types)
    if isinstance(node, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return [node.item_type]
    if isinstance(node, mi.DictType):
        return [node.key_type, node.value_type]
    return []


def to_schema(node: dict[str, Any], reference: Callable[[str], Schema | Reference]) -> Any:
    """A JSON Schema (as msgspec writes it) as Litestar's ``Schema``; ``$ref`` through
    ``reference`` so Litestar names the components."""
    if "$ref" in node:
        return reference(node["$ref"].rsplit("/", 1)[-1])
    values: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            value = {name: to_schema(item, reference) for name, item in value.items()}
        elif key in _NESTED and isinstance(value, dict):
            value = to_schema(value, reference)
        elif key in _LISTS:
            value = [to_schema(item, reference) for item in value]
        elif key == "type":
            value = (
                [OpenAPIType(v) for v in value] if isinstance(value, list) else OpenAPIType(value)
            )
        elif key == "format" and value in OpenAPIFormat._value2member_map_:
            value = OpenAPIFormat(value)
        values[_snake(key)] = value
    return Schema(**values)


class MsgspecSchemaPlugin(OpenAPISchemaPlugin):
    """Schemas of msgspec structs, as msgspec writes them."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(msgspec.Struct)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        cls = field_definition.type_
        _, components = msgspec.json.schema_components([cls], ref_template=_REF)
        named = _named_types(cls)

        def reference(name: str) -> Schema | Reference:
            return schema_creator.for_field_definition(FieldDefinition.from_annotation(named[name]))

        # Registered before its fields are converted, as Litestar's own plugins do.
        schema = schema_creator.schema_registry.get_schema_for_field_definition(field_definition)
        converted = to_schema(components[cls.__name__], reference)
        for field in dataclasses.fields(Schema):
            setattr(schema, field.name, getattr(converted, field.name))
        return schema
