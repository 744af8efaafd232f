"""The shape of a schema file, checked without jsonschema (cheap enough for a cold start):
every keyword the checks act on holds a value of the kind draft 2020-12 requires, every
`pattern` compiles with Python's `re` (the engine that runs it), and every `$ref` points inside
its file (the function resolves nothing else).

The full check, against the meta-schema with jsonschema, is schema_check.py; what this one finds
it names the same way: the JSON pointer of the keyword and what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from operata_lambda.validation.json_types import JSON_TYPES, is_integer, is_number
from operata_lambda.validation.paths import pointer

COUNTS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
)
NUMBERS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
SUBSCHEMA = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
STRINGS = ("$ref", "$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "format")


class ShapeProblem(ValueError):
    """Where a schema breaks a rule: the keyword's JSON pointer and what is wrong."""

    def __init__(self, parts: list[Any], problem: str) -> None:
        self.at = pointer(parts) or "the top level"
        self.keyword = str(parts[-1]) if parts else ""
        self.problem = problem
        super().__init__(f"{self.at}: {problem}")


def check_shape(document: Any) -> None:
    """Raise ShapeProblem at the first keyword of `document` that is not well formed."""
    for parts, schema in subschemas(document):
        _check_keywords(schema, parts)
    _check_references(document)


def subschemas(document: Any) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """Every subschema that is an object, with where it is; iterative (any depth)."""
    stack: list[tuple[list[Any], Any]] = [([], document)]
    while stack:
        parts, schema = stack.pop()
        if isinstance(schema, bool):
            continue
        if not isinstance(schema, dict):
            raise ShapeProblem(
                parts, f"a schema must be an object or a boolean, not {_kind(schema)}"
            )
        yield parts, schema
        for keyword in SUBSCHEMA:
            if keyword in schema:
                stack.append(([*parts, keyword], schema[keyword]))
        for keyword in SUBSCHEMA_MAPS:
            members = schema.get(keyword)
            if members is None:
                continue
            if not isinstance(members, dict):
                raise ShapeProblem([*parts, keyword], "must be an object of schemas")
            stack += [([*parts, keyword, name], member) for name, member in members.items()]
        for keyword in SUBSCHEMA_LISTS:
            members = schema.get(keyword)
            if members is None:
                continue
            if not isinstance(members, list) or not members:
                raise ShapeProblem([*parts, keyword], "must be a non-empty list of schemas")
            stack += [([*parts, keyword, i], member) for i, member in enumerate(members)]


def _check_keywords(schema: dict[str, Any], parts: list[Any]) -> None:
    def fail(keyword: str, problem: str) -> None:
        raise ShapeProblem([*parts, keyword], f"{problem}, not {schema[keyword]!r:.60}")

    if "type" in schema:
        kinds = schema["type"]
        names = kinds if isinstance(kinds, list) else [kinds]
        if not names or any(not isinstance(k, str) or k not in JSON_TYPES for k in names):
            fail("type", f"must name JSON types ({', '.join(sorted(JSON_TYPES))})")
        if len(set(names)) != len(names):
            fail("type", "must not repeat a type")
    for keyword in COUNTS:
        value: Any = schema.get(keyword)
        if keyword in schema and not (is_integer(value) and value >= 0):
            fail(keyword, "must be a whole number, 0 or more")
    for keyword in NUMBERS:
        if keyword in schema and not is_number(schema[keyword]):
            fail(keyword, "must be a number")
    if "multipleOf" in schema:
        value = schema["multipleOf"]
        if not (is_number(value) and value > 0):
            fail("multipleOf", "must be a number above 0")
    if "enum" in schema and not isinstance(schema["enum"], list):
        fail("enum", "must be a list of values")
    if "uniqueItems" in schema and not isinstance(schema["uniqueItems"], bool):
        fail("uniqueItems", "must be true or false")
    if "required" in schema and not _names(schema["required"]):
        fail("required", "must be a list of property names, each once")
    dependent = schema.get("dependentRequired")
    if "dependentRequired" in schema and not (
        isinstance(dependent, dict) and all(_names(v) for v in dependent.values())
    ):
        fail("dependentRequired", "must map property names to lists of property names")
    for keyword in STRINGS:
        if keyword in schema and not isinstance(schema[keyword], str):
            fail(keyword, "must be a string")
    if "pattern" in schema:
        problem = _regex_problem(schema["pattern"])
        if problem:
            fail("pattern", problem)
    for name in schema.get("patternProperties", {}):
        problem = _regex_problem(name)
        if problem:
            raise ShapeProblem([*parts, "patternProperties", name], problem)


def _names(value: Any) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(name, str) for name in value)
        and len(set(value)) == len(value)
    )


def _regex_problem(pattern: Any) -> str | None:
    if not isinstance(pattern, str):
        return "must be a regular expression (a string)"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"Python's re cannot compile it ({exc})"
    return None


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "null"}.get(type(value), "a number")


# --- references ----------------------------------------------------------------------------


def _check_references(document: dict[str, Any]) -> None:
    """Every $ref points inside the file: `#`, `#/a/json/pointer` or `#anchor` (optionally
    after the file's own $id)."""
    own_id = document.get("$id", "") if isinstance(document.get("$id"), str) else ""
    anchors = {s["$anchor"] for _, s in subschemas(document) if isinstance(s.get("$anchor"), str)}
    for parts, schema in subschemas(document):
        ref = schema.get("$ref")
        if ref is None:
            continue
        target = ref[len(own_id) :] if own_id and ref.startswith(own_id) else ref
        if not target.startswith("#"):
            raise ShapeProblem(
                [*parts, "$ref"],
                f"{ref!r} points outside this file: the function resolves references within "
                "the file only",
            )
        fragment = target[1:]
        if fragment.startswith("/") or not fragment:
            if not _resolves(document, fragment):
                raise ShapeProblem([*parts, "$ref"], f"{ref!r} points to nothing in this file")
        elif fragment not in anchors:
            raise ShapeProblem([*parts, "$ref"], f"{ref!r}: no $anchor {fragment!r} in this file")


def _resolves(document: Any, fragment: str) -> bool:
    from urllib.parse import unquote

    node = document
    for token in fragment.split("/")[1:] if fragment else []:
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True
