"""`python -m operata schemas diff | update | check`: keep schemas/ in step with what Operata sends.

diff    what sample events hold that the schemas do not describe (new fields, changed types,
        required fields missing, detail-types with no schema). Exit 0: nothing to do; 1: an
        update is needed; 2: unreadable input.
update  writes the new fields into the schema files (inferred types, a TODO description, an
        example, `"x-model": false`), bumps each schema's version, appends to CHANGELOG.md and
        prints the model fields the new properties need. An existing field's type is only
        widened with --allow-type-change (a major version). A detail-type with no schema is
        added whole only with --new-type: schema (version 1.0.0), module, registry lines and
        samples (operata/scaffold.py).
check   every schema is a valid JSON Schema, every fixture in events/ validates, and the models
        in operata_lambda/events/ read the fields the schemas describe (operata/model_check.py).

Samples are read by operata/samples.py.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shlex
import sys
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from operata.model_check import (
    MODEL_MARKER,
    check_command,
    model_field_needed,
    model_module_file,
    model_type_change,
    type_text,
)
from operata.project import ROOT
from operata.samples import Samples, read_samples
from operata.scaffold import ScaffoldError
from operata_lambda.pipeline.kinesis import is_operata_source
from operata_lambda.validation import schemas
from operata_lambda.validation.drift import ITEMS, Parts, compare, missing_required
from operata_lambda.validation.json_types import json_type
from operata_lambda.validation.schema_check import directory_problems

TODO = "TODO: describe"
CHANGELOG = "CHANGELOG.md"
PROJECT_SCHEMAS = ROOT / "schemas"
EXAMPLE_WIDTH = 60

# --- comparing them with the schemas -----------------------------------------------------


@dataclass
class Seen:
    """A path, where it is in the schema, and the values seen there."""

    path: str
    parts: Parts
    values: list[Any] = field(default_factory=list)
    schema_type: str = ""  # for a type conflict: what the schema says


@dataclass
class TypeDiff:
    detail_type: str
    file: Path
    document: dict[str, Any]
    events: int = 0
    new: dict[str, Seen] = field(default_factory=dict)
    conflicts: dict[str, Seen] = field(default_factory=dict)
    missing: dict[str, Seen] = field(default_factory=dict)  # values: one None per event

    @property
    def version(self) -> str:
        return str(self.document.get("version", "0"))

    @property
    def up_to_date(self) -> bool:
        return not (self.new or self.conflicts or self.missing)


@dataclass
class Diff:
    types: dict[str, TypeDiff] = field(default_factory=dict)
    no_schema: dict[str, list[Any]] = field(default_factory=dict)  # detail-type -> details
    no_schema_events: dict[str, list[Any]] = field(default_factory=dict)  # the whole events
    not_operata: int = 0
    unreadable: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        if self.unreadable:
            return 2
        if self.no_schema:  # a person must decide to describe a new type
            return 1
        return 0 if all(t.up_to_date for t in self.types.values()) else 1


def diff_samples(samples: Samples, directory: Path) -> Diff:
    result = Diff(unreadable=list(samples.unreadable))
    broken: set[str] = set()  # detail-types whose schema file cannot be read: said once
    for sample in samples.events:
        event = sample.event
        detail_type = event["detail-type"]
        if not is_operata_source(event["source"]):
            result.not_operata += 1
            continue
        if detail_type in broken:
            continue
        if detail_type not in result.types:
            path = directory / f"{detail_type}.json"
            try:
                document = _schema_document(path, detail_type)
            except (OSError, ValueError) as exc:
                problem = getattr(exc, "problem", exc)  # schemas.SchemaFileError names the file too
                result.unreadable.append(f"{path}: cannot read the schema: {problem}")
                broken.add(detail_type)
                continue
            if document is None:
                result.no_schema.setdefault(detail_type, []).append(event["detail"])
                result.no_schema_events.setdefault(detail_type, []).append(event)
                continue
            result.types[detail_type] = TypeDiff(detail_type, path, document)
        _add(result.types[detail_type], event["detail"])
    return result


def can_have_a_schema(detail_type: str) -> bool:
    """Whether a detail-type can name a schema file (schemas/<detail-type>.json)."""
    return detail_type != schemas.ENVELOPE and bool(
        re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", detail_type)
    )


def _schema_document(path: Path, detail_type: str) -> dict[str, Any] | None:
    """The schema for a detail-type, None when there is none; raises when it is unreadable."""
    if not can_have_a_schema(detail_type):
        return None
    return schemas.read_schema_file(path) if path.is_file() else None


def _add(diff: TypeDiff, detail: dict[str, Any]) -> None:
    diff.events += 1
    new, conflicts = compare(diff.document, detail)
    for item in new:
        diff.new.setdefault(item.path, Seen(item.path, item.parts)).values.append(item.example)
    for conflict in conflicts:
        seen = diff.conflicts.setdefault(
            conflict.path, Seen(conflict.path, conflict.parts, schema_type=conflict.schema_type)
        )
        seen.values.append(conflict.example)
    for gone in missing_required(diff.document, detail):
        diff.missing.setdefault(gone.path, Seen(gone.path, gone.parts)).values.append(None)


# --- inferring a schema from values ------------------------------------------------------


def schema_type(value: Any) -> str:
    """The JSON Schema type written for a value: every number is a "number" (a counter that is
    whole today may carry a fraction tomorrow, and 3.0 cannot be told from 3)."""
    seen = json_type(value)
    return "number" if seen == "integer" else seen


def infer(values: list[Any]) -> dict[str, Any]:
    """A schema describing every value: types, object properties, array items."""
    kinds = sorted({schema_type(v) for v in values})
    described: dict[str, Any] = {"description": TODO}
    if kinds == ["null"]:
        described["description"] = f"{TODO} (only null seen, so no type is given)"
        return described
    described["type"] = kinds[0] if len(kinds) == 1 else kinds
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        keys = sorted({k for o in objects for k in o})
        described["properties"] = {k: infer([o[k] for o in objects if k in o]) for k in keys}
    arrays = [v for v in values if isinstance(v, list)]
    if arrays:
        items = [item for array in arrays for item in array]
        if items:
            described["items"] = infer(items)
            for redundant in ("description", "examples"):  # the array's own say it
                described["items"].pop(redundant, None)
    example = next((v for v in values if v is not None), None)
    holds_objects = objects or any(isinstance(i, dict) for a in arrays for i in a)
    if not holds_objects and example is not None:  # an object's examples are in its properties
        described["examples"] = [example]
    return described


def example_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= EXAMPLE_WIDTH else text[: EXAMPLE_WIDTH - 3] + "..."


# --- diff --------------------------------------------------------------------------------


def new_type_command(paths: list[str], directory: Path | None) -> str:
    """The command that writes starting schemas for the detail-types that have none."""
    words = ["python", "-m", "operata", "schemas", "update", "--new-type"]
    if directory is not None and directory.resolve() != configured_dir().resolve():
        words += ["--schemas-dir", str(directory)]
    return shlex.join([*words, *paths])


def print_no_schema(result: Diff, create: str, out: typing.TextIO) -> None:
    for detail_type in sorted(result.no_schema):
        count = len(result.no_schema[detail_type])
        events = f"{count} event{'s' if count != 1 else ''}"
        if not can_have_a_schema(detail_type):
            print(
                f"{detail_type}: no schema ({events}); this name cannot be a schema file "
                "name (letters, digits, _ . - only): the processor shows it as it is",
                file=out,
            )
            continue
        print(
            f"{detail_type}: no schema ({events}); the processor shows it as it is. "
            f"To add the type (schema, module, sample): {create}",
            file=out,
        )


def print_diff(result: Diff, out: typing.TextIO, create: str = "") -> None:
    for detail_type in sorted(result.types):
        t = result.types[detail_type]
        counts = f"{t.events} event{'s' if t.events != 1 else ''}"
        if t.up_to_date:
            print(
                f"{detail_type}: described by {t.file.name} version {t.version} ({counts})",
                file=out,
            )
            continue
        print(
            f"{detail_type}: {t.file.name} version {t.version} needs an update ({counts})", file=out
        )
        if t.new:
            print("  new fields (path, inferred type, example):", file=out)
            for path in sorted(t.new):
                seen = t.new[path]
                print(
                    f"    {path}  {type_text(infer(seen.values))}  e.g. "
                    f"{example_text(seen.values[0])}",
                    file=out,
                )
        if t.conflicts:
            print("  type conflicts (path, schema type, seen type, example):", file=out)
            for path in sorted(t.conflicts):
                seen = t.conflicts[path]
                kinds = "|".join(sorted({json_type(v) for v in seen.values}))
                print(
                    f"    {path}  schema {seen.schema_type}, seen {kinds}  e.g. "
                    f"{example_text(seen.values[0])}",
                    file=out,
                )
        if t.missing:
            print("  required fields missing (path, events without it):", file=out)
            for path in sorted(t.missing):
                print(f"    {path}  {len(t.missing[path].values)} of {t.events}", file=out)
    print_no_schema(result, create, out)
    if result.not_operata:
        print(f"skipped {result.not_operata} event(s) from sources other than Operata", file=out)
    if not result.types and not result.no_schema and not result.unreadable:
        print("no Operata events found", file=out)


def _report_unreadable(result: Diff) -> None:
    for problem in result.unreadable:
        print(f"error: unreadable input: {problem}", file=sys.stderr)


def diff_command(paths: list[str], directory: Path, out: typing.TextIO | None = None) -> int:
    out = out or sys.stdout
    result = diff_samples(read_samples(paths), directory)
    print_diff(result, out, new_type_command(paths, directory))
    _report_unreadable(result)
    return result.status


# --- update ------------------------------------------------------------------------------


def _locate(document: dict[str, Any], parts: Parts) -> dict[str, Any] | None:
    node: Any = document
    for part in parts:
        if not isinstance(node, dict):
            return None
        node = node.get("items") if part is ITEMS else node.get("properties", {}).get(part)
    return node if isinstance(node, dict) else None


def bump(version: str, major: bool) -> str:
    numbers = [int(n) if n.isdigit() else 0 for n in version.split(".")[:3]]
    numbers += [0] * (3 - len(numbers))
    if major:
        return f"{numbers[0] + 1}.0.0"
    return f"{numbers[0]}.{numbers[1] + 1}.0"


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@dataclass
class Applied:
    detail_type: str
    old_version: str
    new_version: str
    changes: list[str]  # one CHANGELOG line each
    model_notes: list[str]


def update_type(t: TypeDiff, allow_type_change: bool, out: typing.TextIO) -> Applied | None:
    """Write what the samples showed into `t`'s schema file; None when nothing was written."""
    document = copy.deepcopy(t.document)
    changes: list[str] = []
    model_notes: list[str] = []
    major = False
    for path in sorted(t.new):
        seen = t.new[path]
        parent = _locate(document, seen.parts[:-1])
        key = seen.parts[-1]
        if parent is None or key is None or not isinstance(parent.get("properties"), dict):
            print(f"  not placed: {path} (no object in the schema to hold it)", file=out)
            continue
        described = infer(seen.values)
        described[MODEL_MARKER] = False
        parent["properties"][key] = described
        changes.append(f"added {path} ({type_text(described)})")
        model_notes.append(model_field_needed(t.detail_type, seen.parts, described))
    for path in sorted(t.conflicts):
        seen = t.conflicts[path]
        kinds = sorted({schema_type(v) for v in seen.values})
        if not allow_type_change:
            print(
                f"  kept the type of {path}: the schema says {seen.schema_type}, the samples "
                f"have {'|'.join(kinds)}. An existing field's type is never changed without "
                "--allow-type-change (records with the new type stay rejected until then).",
                file=out,
            )
            continue
        node = _locate(document, seen.parts)
        if node is None or "type" not in node:
            print(f"  not changed: {path} (not found in the schema)", file=out)
            continue
        old = node["type"] if isinstance(node["type"], list) else [node["type"]]
        widened = sorted({*old, *kinds})
        node["type"] = widened[0] if len(widened) == 1 else widened
        major = True
        changes.append(
            f"type of {path} changed from {seen.schema_type} to {'|'.join(widened)} "
            "(--allow-type-change)"
        )
        model_notes.append(model_type_change(t.detail_type, seen.parts, node))
    for path in sorted(t.missing):
        print(
            f"  not changed: {path} is required but absent from {len(t.missing[path].values)} "
            f'of {t.events} events; if Operata no longer sends it, remove it from "required" '
            "by hand and make the model field optional.",
            file=out,
        )
    if not changes:
        return None
    new_version = bump(t.version, major)
    document["version"] = new_version
    t.file.write_text(dump(document), encoding="utf-8")
    return Applied(t.detail_type, t.version, new_version, changes, model_notes)


def append_changelog(directory: Path, applied: list[Applied], today: str) -> None:
    path = directory / CHANGELOG
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Schema changelog\n\n"
    if not text.endswith("\n"):
        text += "\n"
    for a in applied:
        versions = f"{a.old_version} -> {a.new_version}" if a.old_version else a.new_version
        for change in a.changes:
            text += f"- {today} {a.detail_type} {versions}: {change}\n"
    path.write_text(text, encoding="utf-8")


STARTING_VERSION = "1.0.0"


def starting_schema(detail_type: str, details: list[Any]) -> dict[str, Any]:
    """A first schema for a detail-type from sample details: every property inferred, nothing
    required (a person decides that); the scaffolded module's models read every property."""
    return {
        "$id": f"https://schemas.operata.local/events/{detail_type}.json",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": f"{TODO} (written by schemas update --new-type from sample events)",
        "properties": infer(details).get("properties", {}),
        "required": [],
        "title": f"Operata {detail_type} detail",
        "type": "object",
        "version": STARTING_VERSION,
    }


def create_new_types(result: Diff, directory: Path, out: typing.TextIO) -> list[Applied]:
    """Each detail-type with no schema: its schema, module, registry line and samples."""
    from operata import scaffold

    applied = []
    for detail_type in sorted(result.no_schema):
        if not can_have_a_schema(detail_type):
            continue
        details = result.no_schema[detail_type]
        events = result.no_schema_events[detail_type]
        path = directory / f"{detail_type}.json"
        document = starting_schema(detail_type, details)
        written = scaffold.write_type(ROOT, detail_type, document, events)
        path.write_text(dump(document), encoding="utf-8")
        count = f"{len(details)} sample event{'s' if len(details) != 1 else ''}"
        applied.append(
            Applied(
                detail_type,
                "",
                STARTING_VERSION,
                [f"first version, from {count} (--new-type)"],
                [],
            )
        )
        print(f"{detail_type}:", file=out)
        print(f"  {path.name}: written, version {STARTING_VERSION}, from {count}", file=out)
        for key in sorted(document["properties"]):
            print(f"    detail.{key}  {type_text(document['properties'][key])}", file=out)
        for file in written.files:
            print(f"  {file.relative_to(ROOT)}: written", file=out)
        print(
            "  next: `make fixtures` (the report block in tests/expected/), then refine the "
            f"rendering in {written.files[0].relative_to(ROOT)}, the schema's descriptions "
            "and required fields, and make the samples' personal data made up",
            file=out,
        )
    return applied


def update_command(
    paths: list[str],
    directory: Path,
    allow_type_change: bool,
    out: typing.TextIO | None = None,
    today: str | None = None,
    new_type: bool = False,
) -> int:
    out = out or sys.stdout
    if new_type and directory.resolve() != (PROJECT_SCHEMAS).resolve():
        print(
            f"error: --new-type writes the type's module too, so it works on the project's "
            f"schemas ({PROJECT_SCHEMAS}), not {directory}: leave out --schemas-dir",
            file=sys.stderr,
        )
        return 2
    broken = next(directory_problems(directory), None)
    if broken:  # nothing is written next to a schema that cannot be used
        print(f"error: {broken}", file=sys.stderr)
        return 2
    result = diff_samples(read_samples(paths), directory)
    if result.unreadable:
        _report_unreadable(result)
        print("nothing written: fix or leave out the unreadable input first", file=out)
        return 2
    applied: list[Applied] = []
    for detail_type in sorted(result.types):
        t = result.types[detail_type]
        if t.up_to_date:
            print(f"{detail_type}: already described by version {t.version}", file=out)
            continue
        print(f"{detail_type}:", file=out)
        done = update_type(t, allow_type_change, out)
        if done is None:
            print(f"  {t.file.name} unchanged (version {t.version})", file=out)
            continue
        applied.append(done)
        print(f"  {t.file.name}: version {done.old_version} -> {done.new_version}", file=out)
        for change in done.changes:
            print(f"    {change}", file=out)
        print(f"  model fields needed in {model_module_file(t.detail_type)}:", file=out)
        for note in done.model_notes:
            print("    " + note.replace("\n", "\n    "), file=out)
    if new_type:
        try:
            applied += create_new_types(result, directory, out)
        except ScaffoldError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        print_no_schema(result, new_type_command(paths, directory), out)
    if applied:
        append_changelog(directory, applied, today or datetime.now(UTC).date().isoformat())
        print(
            f"appended {sum(len(a.changes) for a in applied)} line(s) to {directory / CHANGELOG}",
            file=out,
        )
        schemas.clear_cache()
    left = any((t.conflicts and not allow_type_change) or t.missing for t in result.types.values())
    left = left or any(not new_type or not can_have_a_schema(t) for t in result.no_schema)
    return 1 if left else 0


# --- the command -------------------------------------------------------------------------


def configured_dir() -> Path:
    """The schemas the function would read here (Settings.schema_dir: OPERATA_SCHEMA_DIR)."""
    from operata.aws import ToolError
    from operata_lambda.config import Settings

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise ToolError(f"{exc}: fix the variable") from None
    return schemas.schema_set(settings.schema_dir).directory


def schemas_command(args: argparse.Namespace) -> int:
    directory = Path(args.schemas_dir) if args.schemas_dir else configured_dir()
    if not directory.is_dir():
        print(f"error: no schemas directory at {directory}", file=sys.stderr)
        return 2
    if args.verb == "diff":
        return diff_command(args.paths, directory)
    if args.verb == "update":
        return update_command(args.paths, directory, args.allow_type_change, new_type=args.new_type)
    return check_command(directory)
