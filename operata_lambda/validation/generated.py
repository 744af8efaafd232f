"""The generated check: a schema translated into Python code that answers VALID,
VALID_WITH_NEW_FIELDS or INVALID for an instance in one pass, raising nothing and building no
error objects.

VALID_WITH_NEW_FIELDS: valid, but some object the schema describes with "properties" has other
keys too (what the closed variant of the schema would reject). The keywords translated and
jsonschema's meaning of them (draft 2020-12, formats as annotations) are in docs/validation.md;
a schema using any other keyword, or whose code cannot be built, gets no generated check (None)
and jsonschema checks it instead (reference.reference_check).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from operata_lambda.validation.json_types import JSON_TYPES, is_integer, is_number

VALID, VALID_WITH_NEW_FIELDS, INVALID = 0, 1, 2

# Keywords jsonschema does not assert here (2020-12 treats format as an annotation); so are
# vendor extensions, "x-..." (schema_tools.py marks properties with "x-model").
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "version",
    }
)
_MAX_INDENT = 24  # deeper subschemas become functions of their own (the parser's limit is 100)


class _Unsupported(Exception):
    """The schema uses something the generator does not translate."""


def _test(kind: str, v: str) -> str:
    """A Python expression: is the value named `v` of this JSON Schema type (jsonschema's way)?

    The exact types json.loads returns are tested first (cheap); isinstance and the helpers
    decide anything else, as jsonschema does.
    """
    return {
        "object": f"(type({v}) is dict or isinstance({v}, dict))",
        "array": f"(type({v}) is list or isinstance({v}, list))",
        "string": f"(type({v}) is str or isinstance({v}, str))",
        "boolean": f"isinstance({v}, bool)",
        "null": f"{v} is None",
        "number": f"((t := type({v})) is float or t is int or _is_number({v}))",
        "integer": f"((t := type({v})) is int or (t is float and {v}.is_integer())"
        f" or _is_integer({v}))",
    }[kind]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Generator:
    def __init__(self) -> None:
        self.functions: list[list[str]] = []
        self.constants: dict[str, Any] = {}
        self.names = 0

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def constant(self, value: Any) -> str:
        name = self.name("_c")
        self.constants[name] = value
        return name

    def function(self, schema: Any) -> str:
        """A generated function `name(v)` returning the verdict for `schema`."""
        name = self.name("_check")
        lines = [f"def {name}(v0):", "    x = 0"]
        self.functions.append(lines)
        self.node(schema, "v0", 1, lines)
        lines.append("    return x")
        return name

    def node(self, schema: Any, v: str, depth: int, out: list[str]) -> None:
        """Statements checking the value named `v`: `return 2` if invalid, `x = 1` if new keys."""
        if not isinstance(schema, dict):
            raise _Unsupported("boolean schema")
        pad = "    " * depth
        if depth > _MAX_INDENT:
            call = self.function(schema)
            out += [f"{pad}r = {call}({v})", f"{pad}if r == 2:", f"{pad}    return 2"]
            out += [f"{pad}if r:", f"{pad}    x = 1"]
            return
        unknown = {k for k in schema if not k.startswith("x-")} - _ANNOTATIONS - _HANDLED
        if unknown:
            raise _Unsupported(f"keywords {sorted(unknown)}")
        kinds = schema.get("type")
        if kinds is not None:
            kinds = [kinds] if isinstance(kinds, str) else kinds
            if not isinstance(kinds, list) or not kinds or not set(kinds) <= JSON_TYPES:
                raise _Unsupported(f"type {schema['type']!r}")
            test = " or ".join(_test(k, v) for k in kinds)
            out += [f"{pad}if not ({test}):", f"{pad}    return 2"]
        only = kinds[0] if kinds is not None and len(kinds) == 1 else None
        if only == "integer":
            only = "number"  # every integer is a number: the numeric keywords apply
        for kind, emit in (
            ("object", self.object_keywords),
            ("array", self.array_keywords),
            ("string", self.string_keywords),
            ("number", self.number_keywords),
        ):
            if only is not None and only != kind:
                continue  # the type check already rejected every other kind
            body: list[str] = []
            emit(schema, v, depth + (only is None), body)
            if not body:
                continue
            if only is None:
                out.append(f"{pad}if {_test(kind, v)}:")
            out += body

    def object_keywords(self, schema: dict[str, Any], v: str, depth: int, out: list[str]) -> None:
        pad = "    " * depth
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        if not (
            isinstance(required, list)
            and all(isinstance(key, str) for key in required)
            and isinstance(properties, dict)
            and (additional is None or isinstance(additional, bool))
        ):
            raise _Unsupported("required, properties or additionalProperties")
        if required:
            present = " or ".join(f"{key!r} not in {v}" for key in dict.fromkeys(required))
            out += [f"{pad}if {present}:", f"{pad}    return 2"]
        if "properties" in schema and additional is not True:
            known = self.constant(frozenset(properties))
            if additional is False:
                out += [f"{pad}if not ({v}.keys() <= {known}):", f"{pad}    return 2"]
            else:  # new keys are allowed, and noticed
                out += [f"{pad}if not x and not ({v}.keys() <= {known}):", f"{pad}    x = 1"]
        elif additional is False:
            out += [f"{pad}if {v}:", f"{pad}    return 2"]
        for key, subschema in properties.items():
            body: list[str] = []
            w = self.name("v")
            self.node(subschema, w, depth + 1, body)
            if not body:
                continue  # annotations only
            if key in required:
                out.append(f"{pad}{w} = {v}[{key!r}]")
                out += [line[4:] for line in body]
            else:
                out += [f"{pad}if {key!r} in {v}:", f"{pad}    {w} = {v}[{key!r}]"]
                out += body

    def array_keywords(self, schema: dict[str, Any], v: str, depth: int, out: list[str]) -> None:
        pad = "    " * depth
        for keyword, op in (("minItems", "<"), ("maxItems", ">")):
            if keyword in schema:
                if not _count(schema[keyword]):
                    raise _Unsupported(keyword)
                out += [f"{pad}if len({v}) {op} {schema[keyword]!r}:", f"{pad}    return 2"]
        if "items" in schema:
            body: list[str] = []
            w = self.name("v")
            self.node(schema["items"], w, depth + 1, body)
            if body:
                out.append(f"{pad}for {w} in {v}:")
                out += body

    def string_keywords(self, schema: dict[str, Any], v: str, depth: int, out: list[str]) -> None:
        pad = "    " * depth
        for keyword, op in (("minLength", "<"), ("maxLength", ">")):
            if keyword in schema:
                if not _count(schema[keyword]):
                    raise _Unsupported(keyword)
                out += [f"{pad}if len({v}) {op} {schema[keyword]!r}:", f"{pad}    return 2"]

    def number_keywords(self, schema: dict[str, Any], v: str, depth: int, out: list[str]) -> None:
        pad = "    " * depth
        for keyword, op in _BOUNDS.items():
            if keyword in schema:
                limit = schema[keyword]
                if not _number(limit) or limit != limit:
                    raise _Unsupported(keyword)
                out += [f"{pad}if {v} {op} {self.constant(limit)}:", f"{pad}    return 2"]


# keyword -> the comparison that makes a number fail it
_BOUNDS = {"minimum": "<", "maximum": ">", "exclusiveMinimum": "<=", "exclusiveMaximum": ">="}
_HANDLED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        *_BOUNDS,
    }
)


def generate(schema: Any) -> tuple[str, dict[str, Any]] | None:
    """The source of the generated check (its entry point is `check`) and the constants it
    uses; None when the schema uses a keyword the generator does not translate."""
    generator = _Generator()
    try:
        entry = generator.function(schema)
    except _Unsupported:
        return None
    lines = [line for function in reversed(generator.functions) for line in function]
    lines.append(f"check = {entry}")
    return "\n".join(lines) + "\n", generator.constants


def fast_check(schema: Any) -> Callable[[Any], int] | None:
    """The generated check; None when the generator does not translate the schema or its code
    cannot be built (e.g. Python's limit of 20 nested loops, or recursion on a very deep
    schema): the caller then uses jsonschema, never a check that raises on every record."""
    try:
        generated = generate(schema)
        if generated is None:
            return None
        source, constants = generated
        namespace: dict[str, Any] = {
            **constants,
            "_is_number": is_number,
            "_is_integer": is_integer,
        }
        name = schema.get("$id", "") if isinstance(schema, dict) else ""
        exec(compile(source, f"<schema check {name}>", "exec"), namespace)
    except Exception:  # any failure to build it: jsonschema checks instead
        return None
    check: Callable[[Any], int] = namespace["check"]
    return check
