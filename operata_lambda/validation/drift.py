"""Compare an event with its schema: fields the schema does not describe, changed types, and
required fields that are missing.

Paths are dotted from the event (detail.webRTCSession.metrics.inbound.concealedSamples); `[]`
stands for any item of an array. `parts` holds the same location relative to the schema's root,
one key per level and ITEMS for "an item of the array", for tools that edit the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from operata_lambda.validation.json_types import json_type
from operata_lambda.validation.paths import dotted

ITEMS = None  # in `parts`: an item of an array
Parts = tuple[str | None, ...]


@dataclass(frozen=True)
class NewField:
    path: str  # detail.webRTCSession.metrics.inbound.concealedSamples ([] stands for any item)
    json_type: str
    example: Any
    parts: Parts = field(default=(), compare=False)


@dataclass(frozen=True)
class TypeConflict:
    path: str
    schema_type: str
    seen_type: str
    example: Any
    parts: Parts = field(default=(), compare=False)


@dataclass(frozen=True)
class MissingField:
    path: str  # a required property the instance lacks
    parts: Parts = field(default=(), compare=False)


def type_matches(schema_type: Any, seen: str) -> bool:
    allowed = schema_type if isinstance(schema_type, list) else [schema_type]
    return seen in allowed or (seen == "integer" and "number" in allowed)


def compare(
    schema: dict[str, Any], instance: Any, prefix: str = "detail", *, first_only: bool = False
) -> tuple[list[NewField], list[TypeConflict]]:
    """Walk `instance` beside `schema`; list what is new and what has another type.

    A new object is reported once, at its own path (its insides are new with it); a value
    whose type conflicts is not looked into further. The walk follows the schema, so it is as
    deep as the schema and visits each value of the instance at most once. `first_only` keeps
    one new field per path (the first seen): what the function needs, in memory bounded by the
    number of distinct paths rather than by the items of an array.
    """
    new: list[NewField] = []
    conflicts: list[TypeConflict] = []
    named: set[str] | None = set() if first_only else None
    _walk(schema, instance, prefix, (), new, conflicts, named)
    return new, conflicts


def _walk(
    schema: dict[str, Any],
    value: Any,
    path: str,
    parts: Parts,
    new: list[NewField],
    conflicts: list[TypeConflict],
    named: set[str] | None,
) -> None:
    expected = schema.get("type")
    seen = json_type(value)
    if expected is not None and not type_matches(expected, seen):
        conflicts.append(TypeConflict(path, _type_text(expected), seen, value, parts))
        return
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        properties = schema["properties"]
        for key, item in value.items():
            child = dotted(path, [key])
            if key in properties:
                if isinstance(properties[key], dict):
                    _walk(properties[key], item, child, (*parts, key), new, conflicts, named)
            elif named is None or child not in named:
                new.append(NewField(child, json_type(item), item, (*parts, key)))
                if named is not None:
                    named.add(child)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _walk(schema["items"], item, f"{path}[]", (*parts, ITEMS), new, conflicts, named)


def missing_required(
    schema: dict[str, Any], instance: Any, prefix: str = "detail"
) -> list[MissingField]:
    """Required properties absent from the instance, at every level it has."""
    missing: list[MissingField] = []
    _walk_required(schema, instance, prefix, (), missing)
    return missing


def _walk_required(
    schema: dict[str, Any], value: Any, path: str, parts: Parts, missing: list[MissingField]
) -> None:
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                missing.append(MissingField(dotted(path, [key]), (*parts, key)))
        properties = schema.get("properties")
        if isinstance(properties, dict):
            for key, item in value.items():
                if isinstance(properties.get(key), dict):
                    _walk_required(
                        properties[key], item, dotted(path, [key]), (*parts, key), missing
                    )
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _walk_required(schema["items"], item, f"{path}[]", (*parts, ITEMS), missing)


def _type_text(schema_type: Any) -> str:
    return "|".join(schema_type) if isinstance(schema_type, list) else str(schema_type)
