"""Compare an event with its schema: fields the schema does not describe, and changed types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from operata.schemas import dotted


@dataclass(frozen=True)
class NewField:
    path: str  # detail.webRTCSession.metrics.inbound.concealedSamples ([] stands for any item)
    json_type: str
    example: Any


@dataclass(frozen=True)
class TypeConflict:
    path: str
    schema_type: str
    seen_type: str
    example: Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def type_matches(schema_type: Any, seen: str) -> bool:
    allowed = schema_type if isinstance(schema_type, list) else [schema_type]
    return seen in allowed or (seen == "integer" and "number" in allowed)


def compare(
    schema: dict[str, Any], instance: Any, prefix: str = "detail"
) -> tuple[list[NewField], list[TypeConflict]]:
    """Walk `instance` beside `schema`; list what is new and what has another type."""
    new: list[NewField] = []
    conflicts: list[TypeConflict] = []
    _walk(schema, instance, prefix, new, conflicts)
    return new, conflicts


def _walk(
    schema: dict[str, Any],
    value: Any,
    path: str,
    new: list[NewField],
    conflicts: list[TypeConflict],
) -> None:
    expected = schema.get("type")
    seen = json_type(value)
    if expected is not None and not type_matches(expected, seen):
        conflicts.append(TypeConflict(path, _type_text(expected), seen, value))
        return
    if isinstance(value, dict) and "properties" in schema:
        properties = schema["properties"]
        for key, item in value.items():
            child = dotted(path, [key])
            if key in properties:
                _walk(properties[key], item, child, new, conflicts)
            else:
                new.append(NewField(child, json_type(item), item))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _walk(schema["items"], item, f"{path}[]", new, conflicts)


def _type_text(schema_type: Any) -> str:
    return "|".join(schema_type) if isinstance(schema_type, list) else str(schema_type)


def unique_new_fields(fields: list[NewField]) -> list[NewField]:
    """One entry per path (array items repeat paths), in order of first appearance."""
    seen: dict[str, NewField] = {}
    for f in fields:
        seen.setdefault(f.path, f)
    return list(seen.values())
