"""`python -m operata schemas diff | update | check`: keep schemas/ in step with what Operata sends.

diff    what sample events hold that the schemas do not describe (new fields, changed types,
        required fields missing). Exit 0: nothing to do; 1: an update is needed; 2: unreadable
        input.
update  writes the new fields into the schema files (inferred types, a TODO description, an
        example, `"x-model": false`), bumps each schema's version, appends to CHANGELOG.md and
        prints the model fields the new properties need. An existing field's type is only
        widened with --allow-type-change (a major version).
check   every schema is a valid JSON Schema, every fixture in events/ validates, and the models
        in operata/models.py read the fields the schemas describe.

Samples may be EventBridge event files, Lambda Kinesis event files (as in events/), quarantine
entries (operata/quarantine.py), log files holding quarantine lines or DEBUG envelope lines, or
folders of them (recursive).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import re
import sys
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from operata import schemas
from operata.builders import json_name
from operata.drift import ITEMS, Parts, compare, json_type, missing_required
from operata.kinesis import DecodeError, decode, is_operata_source

ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = ROOT / "events"
MODEL_MARKER = "x-model"  # "x-model": false -- described by the schema, read by no model yet
TODO = "TODO: describe"
CHANGELOG = "CHANGELOG.md"
SAMPLE_SUFFIXES = {".json", ".jsonl", ".log", ".txt"}
EXAMPLE_WIDTH = 60

# --- reading samples ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    where: str  # the file, and the record within it when there are several
    event: dict[str, Any]


@dataclass
class Samples:
    events: list[Sample] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "file: why"


def read_samples(paths: Iterable[str | Path]) -> Samples:
    """Every EventBridge event the paths hold; what could not be read, named."""
    found = Samples()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix in SAMPLE_SUFFIXES
            )
            if not files:
                found.unreadable.append(f"{path}: no sample files (*.json, *.jsonl, *.log)")
            for file in files:
                _read_file(file, found)
        elif path.is_file():
            _read_file(path, found)
        else:
            found.unreadable.append(f"{path}: no such file or folder")
    return found


def _read_file(path: Path, found: Samples, label: str | None = None) -> None:
    label = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        found.unreadable.append(f"{label}: cannot read: {exc}")
        return
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if document is not None:
        _classify(document, label, found)
        return
    before = len(found.events)
    for number, line in enumerate(text.splitlines(), 1):
        logged = _logged_document(line)
        if logged is not None:
            _classify(logged, f"{label}:{number}", found)
    if len(found.events) == before:
        found.unreadable.append(
            f"{label}: not JSON, and no quarantine or DEBUG envelope lines in it"
        )


def _logged_document(line: str) -> Any:
    """The quarantine entry or envelope a log line holds (text or JSON log format), or None."""
    start = line.find("{")
    if start < 0:
        return None
    try:  # whatever follows the object on the line (a CloudWatch export's columns) is ignored
        value, _ = json.JSONDecoder().raw_decode(line, start)
    except ValueError:
        return None
    if isinstance(value, dict) and (
        "quarantined" in value or value.get("message") == "envelope" or "detail-type" in value
    ):
        return value
    if isinstance(value, dict) and "data" in value and "reason" in value:
        return value
    return None


def _classify(document: Any, where: str, found: Samples) -> None:
    if isinstance(document, list):
        for index, item in enumerate(document):
            _classify(item, f"{where}[{index}]", found)
        return
    if not isinstance(document, dict):
        found.unreadable.append(f"{where}: a JSON {type(document).__name__}, not an event")
        return
    if isinstance(document.get("Records"), list):  # a Lambda Kinesis event
        for index, record in enumerate(document["Records"]):
            kinesis = record.get("kinesis") if isinstance(record, dict) else None
            data = kinesis.get("data") if isinstance(kinesis, dict) else None
            _decoded(data, f"{where} record {index}", found)
        return
    if isinstance(document.get("quarantined"), dict):  # the quarantine's log line
        _classify(document["quarantined"], where, found)
        return
    if document.get("message") == "envelope" and isinstance(document.get("envelope"), dict):
        _event(document["envelope"], where, found)  # a DEBUG envelope line (JSON log)
        return
    if "detail-type" in document:
        _event(document, where, found)
        return
    if "data" in document and ("entryVersion" in document or "reason" in document):
        _decoded(document["data"], where, found)  # a quarantine entry
        return
    found.unreadable.append(
        f"{where}: not an EventBridge event, Lambda Kinesis event or quarantine entry"
    )


def _decoded(data: Any, where: str, found: Samples) -> None:
    if not isinstance(data, str):
        found.unreadable.append(f"{where}: no base64 data")
        return
    try:
        _event(decode(data), where, found)
    except DecodeError as exc:
        found.unreadable.append(f"{where}: {exc.message}")


def _event(event: dict[str, Any], where: str, found: Samples) -> None:
    if not isinstance(event.get("detail-type"), str) or not isinstance(event.get("source"), str):
        found.unreadable.append(f"{where}: an event needs a detail-type and a source")
    elif not isinstance(event.get("detail"), dict):
        found.unreadable.append(f"{where}: the event has no detail object")
    else:
        found.events.append(Sample(where, event))


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
    no_schema: dict[str, int] = field(default_factory=dict)  # detail-type -> events
    not_operata: int = 0
    unreadable: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        if self.unreadable:
            return 2
        return 0 if all(t.up_to_date for t in self.types.values()) else 1


def diff_samples(samples: Samples, directory: Path) -> Diff:
    result = Diff(unreadable=list(samples.unreadable))
    for sample in samples.events:
        event = sample.event
        detail_type = event["detail-type"]
        if not is_operata_source(event["source"]):
            result.not_operata += 1
            continue
        if detail_type not in result.types:
            document = _schema_document(directory, detail_type, result)
            if document is None:
                result.no_schema[detail_type] = result.no_schema.get(detail_type, 0) + 1
                continue
            path = directory / f"{detail_type}.json"
            result.types[detail_type] = TypeDiff(detail_type, path, document)
        _add(result.types[detail_type], event["detail"])
    return result


def _schema_document(directory: Path, detail_type: str, result: Diff) -> dict[str, Any] | None:
    if detail_type == schemas.ENVELOPE or not re.fullmatch(r"[A-Za-z0-9_.-]+", detail_type):
        return None
    path = directory / f"{detail_type}.json"
    if not path.is_file():
        return None
    try:
        return schemas.read_schema_file(path)
    except (OSError, ValueError) as exc:
        result.unreadable.append(f"{path}: cannot read the schema: {exc}")
        return None


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


def type_text(described: dict[str, Any]) -> str:
    kind = described.get("type")
    if kind is None:
        return "any"
    text = "|".join(kind) if isinstance(kind, list) else str(kind)
    if kind == "array" and isinstance(described.get("items"), dict):
        text += f" of {type_text(described['items'])}"
    return text


def example_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= EXAMPLE_WIDTH else text[: EXAMPLE_WIDTH - 3] + "..."


# --- diff --------------------------------------------------------------------------------


def print_diff(result: Diff, out: typing.TextIO) -> None:
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
    for detail_type in sorted(result.no_schema):
        count = result.no_schema[detail_type]
        print(
            f"{detail_type}: no schema ({count} event{'s' if count != 1 else ''}); the processor"
            " shows it as it is. A new type needs a schema, a model and renderings by hand.",
            file=out,
        )
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
    print_diff(result, out)
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
        for change in a.changes:
            text += f"- {today} {a.detail_type} {a.old_version} -> {a.new_version}: {change}\n"
    path.write_text(text, encoding="utf-8")


def update_command(
    paths: list[str],
    directory: Path,
    allow_type_change: bool,
    out: typing.TextIO | None = None,
    today: str | None = None,
) -> int:
    out = out or sys.stdout
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
        print("  model fields needed in operata/models.py:", file=out)
        for note in done.model_notes:
            print("    " + note.replace("\n", "\n    "), file=out)
    for detail_type in sorted(result.no_schema):
        print(f"{detail_type}: no schema; not created (a new type needs a model too)", file=out)
    if applied:
        append_changelog(directory, applied, today or datetime.now(UTC).date().isoformat())
        print(
            f"appended {sum(len(a.changes) for a in applied)} line(s) to {directory / CHANGELOG}",
            file=out,
        )
        schemas.clear_cache()
    left = any((t.conflicts and not allow_type_change) or t.missing for t in result.types.values())
    return 1 if left else 0


# --- models ------------------------------------------------------------------------------


def snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"\W+", "_", name).strip("_").lower() or "field"


def pascal(name: str) -> str:
    words = snake(name).split("_")
    return "".join(w[:1].upper() + w[1:] for w in words) or "Field"


def camel(attribute: str) -> str:
    from dataclasses_json import LetterCase

    to_camel: Any = LetterCase.CAMEL
    return str(to_camel(attribute))


def _unwrap(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def model_at(detail_type: str, parts: Parts) -> type | None:
    """The model class that reads the object at `parts` of a detail-type, if any."""
    from operata.registry import EVENT_TYPES

    event_type = EVENT_TYPES.get(detail_type)
    if event_type is None:
        return None
    hint: Any = event_type.model
    for part in parts:
        hint = _unwrap(hint)
        if part is ITEMS:
            if typing.get_origin(hint) is not list:
                return None
            hint = (typing.get_args(hint) or (Any,))[0]
            continue
        if not _is_model(hint):
            return None
        hints = typing.get_type_hints(hint)
        named = {json_name(hint, f): f for f in dataclasses.fields(hint)}
        if part not in named:
            return None
        hint = hints[named[part].name]
    hint = _unwrap(hint)
    return hint if _is_model(hint) else None


def python_type(described: dict[str, Any], key: str, classes: list[str]) -> str:
    """The Python type for a schema property, adding dataclass definitions to `classes`."""
    kind = described.get("type")
    kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if k not in (None, "null")]
    simple = {"string": "str", "number": "float", "integer": "int", "boolean": "bool"}
    if len(kinds) > 1 and all(k in simple for k in kinds):
        return " | ".join(simple[k] for k in kinds)
    if len(kinds) != 1:
        return "Any"
    if kinds[0] in simple:
        return simple[kinds[0]]
    if kinds[0] == "array":
        items = described.get("items")
        item_key = key[:-1] if key.endswith("s") else f"{key}Item"
        inner = python_type(items, item_key, classes) if isinstance(items, dict) else "Any"
        return f"list[{inner}]"
    properties = described.get("properties")
    if kinds[0] == "object" and isinstance(properties, dict) and properties:
        name = pascal(key)
        lines = ["@dataclass", f"class {name}(Model):"]
        lines += [_field_line(k, python_type(v, k, classes)) for k, v in sorted(properties.items())]
        classes.append("\n".join(lines))
        return name
    return "dict[str, Any]"


def _field_line(key: str, python: str) -> str:
    attribute = snake(key)
    if camel(attribute) == key:
        return f"    {attribute}: {python} | None = None"
    return (
        f"    {attribute}: {python} | None = field(default=None, "
        f'metadata=config(field_name="{key}"))'
    )


def model_field_needed(detail_type: str, parts: Parts, described: dict[str, Any]) -> str:
    """What operata/models.py needs so that a model reads the new property."""
    key = str(parts[-1])
    owner = model_at(detail_type, parts[:-1])
    classes: list[str] = []
    line = _field_line(key, python_type(described, key, classes)).strip()
    if owner is None:
        where = "no model reads the object that holds it yet"
        return f"{key}: {where}; add one first, then: {line}"
    text = f"{owner.__name__}.{line}"
    for definition in reversed(classes):
        text += "\n  new class:\n    " + definition.replace("\n", "\n    ")
    return text + f'\n  then remove "{MODEL_MARKER}": false from the schema property'


def model_type_change(detail_type: str, parts: Parts, node: dict[str, Any]) -> str:
    owner = model_at(detail_type, parts[:-1])
    key = str(parts[-1])
    if owner is None:
        return f"{key}: no model field reads it"
    named = {json_name(owner, f): f for f in dataclasses.fields(owner)}
    f = named.get(key)
    if f is None:
        return f"{owner.__name__} has no field for {key}"
    hint = typing.get_type_hints(owner)[f.name]
    wanted = python_type(node, key, [])
    return (
        f"{owner.__name__}.{f.name}: {_hint_text(hint)} must accept {type_text(node)} "
        f"(e.g. {wanted} | None); the renderings that read it too"
    )


def _hint_text(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


_ACCEPTS: dict[Any, set[str]] = {
    str: {"string"},
    float: {"number", "integer"},
    int: {"integer"},
    bool: {"boolean"},
}


def compare_model(model: type, schema: dict[str, Any], path: str) -> tuple[list[str], list[str]]:
    """(problems, pending): where a model and its schema describe different fields.

    A property marked "x-model": false is pending (described, read by no model yet), not a
    problem; a marked property that a model does read is a problem (a stale marker).
    """
    problems: list[str] = []
    pending: list[str] = []
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = set(schema.get("required", []))
    hints = typing.get_type_hints(model)
    named = {json_name(model, f): f for f in dataclasses.fields(model)}
    for key, f in named.items():
        where = f"{path}.{key}"
        attribute = f"{model.__name__}.{f.name}"
        described = properties.get(key)
        if not isinstance(described, dict):
            problems.append(f"{where}: model field {attribute} has no schema property")
            continue
        if described.get(MODEL_MARKER) is False:
            problems.append(
                f'{where}: marked "{MODEL_MARKER}": false but read by {attribute}; remove the '
                "marker"
            )
        is_required = f.default is dataclasses.MISSING and (
            f.default_factory is dataclasses.MISSING
        )
        if is_required and key not in required:
            problems.append(
                f"{where}: model field {attribute} is required, the schema does not require it"
            )
        problems += _compare_types(hints[f.name], described, where, attribute, pending)
    for key in sorted(set(properties) - set(named)):
        where = f"{path}.{key}"
        described = properties[key]
        expected = f"{model.__name__}.{snake(key)}"
        if isinstance(described, dict) and described.get(MODEL_MARKER) is False:
            pending.append(f"{where}: not read by a model yet (would be {expected})")
        else:
            problems.append(f"{where}: schema property has no model field (expected {expected})")
    return problems, pending


def _compare_types(
    hint: Any, described: dict[str, Any], where: str, attribute: str, pending: list[str]
) -> list[str]:
    hint = _unwrap(hint)
    kind = described.get("type")
    kinds = set(kind if isinstance(kind, list) else [kind]) - {None, "null"}
    if _is_model(hint):
        if kinds and kinds != {"object"}:
            return [f"{where}: {attribute} is a {hint.__name__}, the schema says {kind}"]
        problems, more = compare_model(hint, described, where)
        pending += more
        return problems
    if typing.get_origin(hint) is list:
        if kinds and kinds != {"array"}:
            return [f"{where}: {attribute} is a list, the schema says {kind}"]
        items = described.get("items")
        (item,) = typing.get_args(hint) or (Any,)
        if isinstance(items, dict):
            return _compare_types(item, items, f"{where}[]", attribute, pending)
        return []
    accepted = _ACCEPTS.get(hint)
    if accepted is not None and kinds and not kinds <= accepted:
        return [
            f"{where}: {attribute} is {_hint_text(hint)}, the schema says {'|'.join(sorted(kinds))}"
        ]
    return []


# --- check -------------------------------------------------------------------------------


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return 1 if self.problems else 0


def _fixture_files(events_dir: Path) -> Iterator[Path]:
    for path in sorted(events_dir.glob("*.json")):
        yield path
    for path in sorted((events_dir / "source").glob("*.json")):
        yield path


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def check(directory: Path, events_dir: Path = EVENTS_DIR) -> CheckResult:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError, best_match

    from operata.registry import EVENT_TYPES

    result = CheckResult()
    documents: dict[str, dict[str, Any]] = {}
    files = sorted(directory.glob("*.json"))
    if not files:
        result.problems.append(f"{directory}: no schema files")
    for path in files:
        try:
            document = schemas.read_schema_file(path)
            Draft202012Validator.check_schema(document)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
            result.problems.append(f"{path}: not a valid JSON Schema at {where}: {exc.message}")
            continue
        except (OSError, ValueError) as exc:
            result.problems.append(f"{path}: cannot read: {exc}")
            continue
        documents[path.stem] = document

    validators = {name: Draft202012Validator(doc) for name, doc in documents.items()}
    checked = 0
    for path in _fixture_files(events_dir):
        if path.name.startswith("bad-"):
            result.notes.append(f"skipped {path.name}: intentionally bad records")
            continue
        found = Samples()
        _read_file(path, found, _relative(path))
        result.problems += [f"fixture {problem}" for problem in found.unreadable]
        for sample in found.events:
            event = sample.event
            if schemas.ENVELOPE in validators:
                error = best_match(validators[schemas.ENVELOPE].iter_errors(event))
                if error is not None:
                    at = schemas.dotted("", error.absolute_path) or "$"
                    result.problems.append(
                        f"fixture {sample.where}: envelope {at}: {error.message}"
                    )
                    continue
            if not is_operata_source(event["source"]):
                continue
            validator = validators.get(event["detail-type"])
            if validator is None or event["detail-type"] == schemas.ENVELOPE:
                continue
            checked += 1
            error = best_match(validator.iter_errors(event["detail"]))
            if error is not None:
                at = schemas.dotted("detail", error.absolute_path)
                result.problems.append(
                    f"fixture {sample.where} ({event['detail-type']}): {at}: {error.message} "
                    f"(rule {error.validator})"
                )
    result.notes.append(f"{checked} fixture event(s) validated")

    for detail_type in sorted(set(documents) - {schemas.ENVELOPE} - set(EVENT_TYPES)):
        result.problems.append(
            f"{detail_type}.json: no entry for {detail_type} in operata/registry.py EVENT_TYPES"
        )
    for detail_type, event_type in sorted(EVENT_TYPES.items()):
        described = documents.get(detail_type)
        if described is None:
            result.problems.append(
                f"{detail_type}: model {event_type.model.__name__} has no schema"
            )
            continue
        problems, pending = compare_model(event_type.model, described, "detail")
        result.problems += [f"{detail_type}: {p}" for p in problems]
        result.pending += [f"{detail_type}: {p}" for p in pending]
    return result


def check_command(directory: Path, out: typing.TextIO | None = None) -> int:
    out = out or sys.stdout
    result = check(directory)
    for note in result.notes:
        print(note, file=out)
    for item in result.pending:
        print(f"pending: {item}", file=out)
    for problem in result.problems:
        print(f"FAIL {problem}", file=out)
    if result.problems:
        print(f"{len(result.problems)} problem(s)", file=out)
    else:
        print(f"ok: schemas in {directory}, fixtures and models agree", file=out)
    return result.status


# --- the command -------------------------------------------------------------------------


def schemas_command(args: argparse.Namespace) -> int:
    directory = Path(args.schemas_dir) if args.schemas_dir else schemas.schema_dir()
    if not directory.is_dir():
        print(f"error: no schemas directory at {directory}", file=sys.stderr)
        return 2
    if args.verb == "diff":
        return diff_command(args.paths, directory)
    if args.verb == "update":
        return update_command(args.paths, directory, args.allow_type_change)
    return check_command(directory)
