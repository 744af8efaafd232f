"""The JSON Schema type names, and which of them a decoded JSON value is: one table for the
checks, the shape check of schema files, drift and the schema tools."""

from __future__ import annotations

import numbers
from typing import Any

JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def is_number(value: Any) -> bool:
    """jsonschema's "number": any number but a boolean."""
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


def is_integer(value: Any) -> bool:
    """jsonschema's "integer" (drafts 6 and later): 3.0 is one."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def json_type(value: Any) -> str:
    """The most specific type name of a decoded JSON value (3.0 is an integer)."""
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
