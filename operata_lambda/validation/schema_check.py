"""The full check of a schema directory, before its schemas meet a record: each file is JSON,
well formed (shapes.py: keyword values, patterns compiled with Python's `re`, references inside
the file), valid against the draft 2020-12 meta-schema, and every `$ref` resolves.

It needs jsonschema, so it runs where time is not counted: when the stack is packaged or
deployed and in `sls invoke local` (python -m operata_lambda.setup_check), and in
`python -m operata schemas check | update`. The deployed function's cold start runs the cheap
part only (setup_check.schema_problem).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from operata_lambda.validation.paths import pointer, shown
from operata_lambda.validation.schemas import ENVELOPE, SchemaFileError, read_schema_file
from operata_lambda.validation.shapes import ShapeProblem, check_shape, subschemas


def directory_problems(directory: Path) -> Iterator[str]:
    """One line per broken schema file of `directory` (the file, where, what, the fix)."""
    if not directory.is_dir():
        yield f"no schemas directory at {shown(directory)}"
        return
    files = sorted(directory.glob("*.json"))
    if not any(path.stem == ENVELOPE for path in files):
        yield f"no {ENVELOPE}.json in {shown(directory)}"
    for path in files:
        problem = file_problem(path)
        if problem:
            yield problem


def file_problem(path: Path) -> str | None:
    """What is wrong with one schema file, in one line, or None."""
    try:
        document = read_schema_file(path)
    except SchemaFileError as exc:
        return f"{shown(path)}: {exc.problem}; fix the file"
    problem = document_problem(document)
    return f"{shown(path)}: not a valid JSON Schema at {problem}; fix the file" if problem else None


def document_problem(document: dict[str, Any]) -> str | None:
    """`<JSON pointer>: <what>` for the first problem of a schema document, or None."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        check_shape(document)
    except ShapeProblem as exc:
        return str(exc)
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        where = pointer(exc.absolute_path) or "the top level"
        return f"{where}: {_first_line(exc.message)}"
    except RecursionError:
        return "the top level: nested too deeply for jsonschema to read"
    return _reference_problem(document)


def _reference_problem(document: dict[str, Any]) -> str | None:
    from referencing import Registry, Resource
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    base = document.get("$id", "") if isinstance(document.get("$id"), str) else ""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource(base, resource).crawl()
    resolver = registry.resolver(base_uri=base)
    for parts, ref in _references(document):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            return f"{pointer(parts)}: {ref!r} cannot be resolved"
    return None


def _references(document: Any) -> Iterator[tuple[list[Any], str]]:
    """Every `$ref` of the document's subschemas (not of its examples or enum values)."""
    for parts, schema in subschemas(document):
        if isinstance(schema.get("$ref"), str):
            yield [*parts, "$ref"], schema["$ref"]


def _first_line(text: str) -> str:
    line = text.splitlines()[0] if text else text
    return line if len(line) <= 200 else line[:199] + "…"
