"""The JSON Schemas in schemas/: loading, fast validation, and explaining a failure.

jsonschema is the reference. The hot path runs a validator generated from the same files as
Python code (compile_check; tests/test_validator_agreement.py shows that it gives jsonschema's
verdict); a record that fails is explained with jsonschema's best_match, so the error names the
path and the rule (walking only the parts of the record that the generated checks do not accept:
see EventSchema.explain). jsonschema is imported only then: `import handler` does not load it.
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from operata_lambda.config import SCHEMA_DIR_ENV

ENVELOPE = "envelope"
PACKAGED_DIR = Path(__file__).resolve().parents[2] / "schemas"  # beside handler.py in the zip


@dataclass(frozen=True)
class Violation:
    """Why a document does not match its schema: where, which rule, which value."""

    path: str  # a dotted path from the event, e.g. detail.webRTCSession.metrics.mos.avg
    rule: str  # the JSON Schema keyword that failed, e.g. type
    value: Any
    message: str  # jsonschema's message, e.g. 'high' is not of type 'number'

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def dotted(prefix: str, parts: Any) -> str:
    path = prefix
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _closed(schema: Any) -> Any:
    """A copy of the schema in which every described object allows no other properties.

    Iterative, so that a schema of any depth can be closed (the generator's recursion is what
    gives up on very deep schemas, and then this variant is needed).
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(schema, root, 0)]  # (node, its parent copy, key)
    while stack:
        node, parent, key = stack.pop()
        if isinstance(node, dict):
            copy: Any = {}
            for name, value in node.items():
                copy[name] = None
                stack.append((value, copy, name))
            if "properties" in node and "additionalProperties" not in node:
                copy["additionalProperties"] = False
        elif isinstance(node, list):
            copy = [None] * len(node)
            stack += [(value, copy, index) for index, value in enumerate(node)]
        else:
            copy = node
        parent[key] = copy
    return root[0]


class EventSchema:
    """One schema file, with its validator compiled on first use."""

    def __init__(
        self, name: str, document: dict[str, Any], prefix: str, *, registry: Any = None
    ) -> None:
        self.name = name
        self.document = document
        self.version = str(document.get("version", "0"))
        self.prefix = prefix  # where the validated document sits in the event: "detail" or ""
        self._check: Callable[[Any], int] | None = None
        self._reference: Any = None  # jsonschema's validator, built when first needed
        self._explainer: Any = None  # the same, skipping valid parts (see explain)
        self._registry = registry  # a referencing.Registry for $refs to other documents

    def check(self, instance: Any) -> tuple[Violation | None, bool]:
        """Validate; return (the violation or None, whether fields outside the schema exist)."""
        check = self._check
        if check is None:
            check = self._check = compile_check(self.document, registry=self._registry)
        verdict = check(instance)
        if verdict == VALID:
            return None, False
        if verdict == VALID_WITH_NEW_FIELDS:
            return None, True
        return self.explain(instance), False

    def _jsonschema(self) -> Any:
        if self._reference is None:
            from jsonschema import Draft202012Validator

            extra = {} if self._registry is None else {"registry": self._registry}
            self._reference = Draft202012Validator(self.document, **extra)
        return self._reference

    def explain(self, instance: Any) -> Violation:
        """The most relevant reason, according to jsonschema, that `instance` is invalid:
        best_match over all of jsonschema's errors.

        Walking a whole CallSummary costs jsonschema about 1 ms, mostly in parts that are
        valid. The validator used here does not descend into a property whose value the
        generated check of its subschema accepts: jsonschema finds no error there (the two
        agree), so the errors, in their order, and best_match's choice are those of the whole
        document (tests/test_validator_agreement.py compares them).
        """
        from jsonschema.exceptions import best_match

        if self._explainer is None:
            extra = {} if self._registry is None else {"registry": self._registry}
            self._explainer = _skipping_valid_properties()(self.document, **extra)
        return self.violation(best_match(self._explainer.iter_errors(instance)))

    def violation(self, error: Any) -> Violation:
        """jsonschema's error (or None) as a Violation of this schema."""
        if error is None:  # the fast validator and the reference disagree: say so, loudly
            return Violation(
                self.prefix or "$",
                "validator_disagreement",
                None,
                "rejected by the fast validator but accepted by jsonschema",
            )
        return Violation(
            path=dotted(self.prefix, error.absolute_path) or "$",
            rule=str(error.validator),
            value=None if isinstance(error.instance, dict | list) else error.instance,
            message=error.message,
        )

    def is_valid(self, instance: Any) -> bool:
        """The reference verdict (jsonschema), for tools and tests."""
        return bool(self._jsonschema().is_valid(instance))


# --- the fast validator ------------------------------------------------------------------
#
# compile_check(schema) returns a function of one instance that answers VALID,
# VALID_WITH_NEW_FIELDS (valid, but some object the schema describes with "properties" has
# other keys too: what the closed variant, _closed(schema), would reject) or INVALID.
#
# It is generated Python code for the keywords these schemas use, with jsonschema's meaning
# (draft 2020-12, formats as annotations): one pass, no exceptions, no error objects. A
# schema using any other keyword, or whose generated code cannot be built, is checked by
# jsonschema itself instead (reference_check: the schema as written decides validity, the
# closed variant only the new-fields flag). tests/test_validator_agreement.py compares the
# verdicts with jsonschema; tests/test_schema_test_suite.py runs the official test suite.

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
_KINDS = {"object", "array", "string", "number", "integer", "boolean", "null"}
_MAX_INDENT = 24  # deeper subschemas become functions of their own (the parser's limit is 100)


class _Unsupported(Exception):
    """The schema uses something the generator does not translate."""


def _is_number(value: Any) -> bool:  # jsonschema's "number"
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


def _is_integer(value: Any) -> bool:  # jsonschema's "integer" (drafts 6 and later)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


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
            if not isinstance(kinds, list) or not kinds or not set(kinds) <= _KINDS:
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


def compile_check(schema: Any, *, registry: Any = None) -> Callable[[Any], int]:
    """A function answering VALID, VALID_WITH_NEW_FIELDS or INVALID for an instance: the
    generated check, or jsonschema's (reference_check) when there is none for this schema."""
    return fast_check(schema) or reference_check(schema, registry=registry)


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
            "_is_number": _is_number,
            "_is_integer": _is_integer,
        }
        name = schema.get("$id", "") if isinstance(schema, dict) else ""
        exec(compile(source, f"<schema check {name}>", "exec"), namespace)
    except Exception:  # any failure to build it: jsonschema checks instead
        return None
    check: Callable[[Any], int] = namespace["check"]
    return check


def _skipping_valid_properties() -> Any:
    """A Draft202012Validator class whose `properties` keyword skips every value that the
    generated check of its subschema accepts (a subschema without one is walked as usual)."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    checks: dict[int, tuple[Any, Callable[[Any], int] | None]] = {}  # id(subschema) -> check

    def properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
        # jsonschema's own `properties` keyword, with the skip added
        if not validator.is_type(instance, "object"):
            return
        for name, subschema in properties.items():
            if name not in instance:
                continue
            found = checks.get(id(subschema))
            if found is None or found[0] is not subschema:
                found = checks[id(subschema)] = (subschema, fast_check(subschema))
            check, value = found[1], instance[name]
            if check is not None and check(value) != INVALID:
                continue
            yield from validator.descend(value, subschema, path=name, schema_path=name)

    return extend(Draft202012Validator, {"properties": properties})  # type: ignore[no-untyped-call]


def reference_check(schema: Any, *, registry: Any = None) -> Callable[[Any], int]:
    """jsonschema itself (slower), for schemas without a generated check.

    Validity comes from the schema as written. The closed variant only tells whether a valid
    instance has new fields: under `not`, `if`, `oneOf` or `maxContains`, closing a subschema
    can make the whole schema accept more, so its verdict never decides validity.
    `registry` (a referencing.Registry) resolves `$ref`s to other documents.
    """
    from jsonschema import Draft202012Validator

    extra = {} if registry is None else {"registry": registry}
    as_written = Draft202012Validator(schema, **extra)
    closed_schema = _closed(schema)
    if closed_schema == schema:  # nothing to close: no instance can have new fields

        def check_open(instance: Any) -> int:
            return VALID if as_written.is_valid(instance) else INVALID

        return check_open
    closed = Draft202012Validator(closed_schema, **extra)

    def check(instance: Any) -> int:
        if not as_written.is_valid(instance):
            return INVALID
        return VALID if closed.is_valid(instance) else VALID_WITH_NEW_FIELDS

    return check


class SchemaFileError(ValueError):
    """A schema file that cannot be read, is not JSON or is not an object: the file, and where."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def read_schema_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaFileError(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SchemaFileError(path, f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise SchemaFileError(path, f"not valid JSON at {where}: {exc.msg}") from None
    if not isinstance(document, dict):
        raise SchemaFileError(path, "a schema must be a JSON object")
    return document


class SchemaSet:
    """The schemas of one directory, each read and compiled at its first use, then kept."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._loaded: dict[str, EventSchema | None] = {}

    def _load(self, name: str) -> EventSchema | None:
        try:
            return self._loaded[name]
        except KeyError:
            pass
        path = self.directory / f"{name}.json"
        schema = None
        if path.is_file():
            prefix = "" if name == ENVELOPE else "detail"
            schema = EventSchema(name, read_schema_file(path), prefix)
        self._loaded[name] = schema
        return schema

    def for_detail_type(self, detail_type: str) -> EventSchema | None:
        """The schema for a detail-type, or None when there is none (a type Operata added)."""
        if not detail_type or detail_type == ENVELOPE or "/" in detail_type or "\\" in detail_type:
            return None
        return self._load(detail_type)

    def envelope(self) -> EventSchema:
        schema = self._load(ENVELOPE)
        if schema is None:
            raise FileNotFoundError(f"no {ENVELOPE}.json in {self.directory}")
        return schema

    def detail_types(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.json") if p.stem != ENVELOPE)


_sets: dict[str, SchemaSet] = {}  # directory as configured -> its schemas (a warm container's)


def schema_set(directory: str | Path = "") -> SchemaSet:
    """The schemas of `directory` (Settings.schema_dir); '' is the packaged schemas/."""
    key = str(directory)
    found = _sets.get(key)
    if found is None:
        found = _sets[key] = SchemaSet(Path(directory) if directory else PACKAGED_DIR)
    return found


# The local tools' defaults: the directory the function would read (OPERATA_SCHEMA_DIR).


def _configured() -> SchemaSet:
    return schema_set(os.environ.get(SCHEMA_DIR_ENV, ""))


def schema_dir() -> Path:
    return _configured().directory


def for_detail_type(detail_type: str) -> EventSchema | None:
    return _configured().for_detail_type(detail_type)


def envelope() -> EventSchema:
    return _configured().envelope()


def detail_types() -> list[str]:
    return _configured().detail_types()


def clear_cache() -> None:
    """Forget loaded schemas (after the files changed, e.g. in redrive or tests)."""
    _sets.clear()
