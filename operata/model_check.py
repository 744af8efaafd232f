"""`schemas check`: the schemas are valid, the fixtures match them, and the models read them.

The models are written by hand, one module (or package) per detail-type in
operata_lambda/events/ (insights_summary.py, call_summary/, ...), found through the registry
(operata_lambda.events.registry); this compares them with the schemas field by field (JSON
names as dataclasses-json reads them), and tells `schemas update` which model fields a new
schema property needs, and in which file.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operata.samples import Samples, read_file
from operata_lambda.events.builders import json_name, unwrap_optional
from operata_lambda.pipeline.kinesis import is_operata_source
from operata_lambda.validation import schemas
from operata_lambda.validation.drift import ITEMS, Parts
from operata_lambda.validation.paths import dotted, shown
from operata_lambda.validation.schema_check import file_problem

ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = ROOT / "events"
MODEL_MARKER = "x-model"  # "x-model": false -- described by the schema, read by no model yet


def type_text(described: dict[str, Any]) -> str:
    kind = described.get("type")
    if kind is None:
        return "any"
    text = "|".join(kind) if isinstance(kind, list) else str(kind)
    if kind == "array" and isinstance(described.get("items"), dict):
        text += f" of {type_text(described['items'])}"
    return text


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


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def model_module_file(detail_type: str) -> str:
    """The file that holds a registered detail-type's models, as a path from the project root."""
    from operata_lambda.events.registry import EVENT_TYPES

    event_type = EVENT_TYPES.get(detail_type)
    if event_type is None:
        return f"a new module under operata_lambda/events/ for {detail_type}"
    module = sys.modules[event_type.model.__module__]
    return shown(Path(str(module.__file__)), ROOT)


def model_at(detail_type: str, parts: Parts) -> type | None:
    """The model class that reads the object at `parts` of a detail-type, if any."""
    from operata_lambda.events.registry import EVENT_TYPES

    event_type = EVENT_TYPES.get(detail_type)
    if event_type is None:
        return None
    hint: Any = event_type.model
    for part in parts:
        hint = unwrap_optional(hint)
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
    hint = unwrap_optional(hint)
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
    """What the detail-type's module needs so that a model reads the new property."""
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
    hint = unwrap_optional(hint)
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


def check(directory: Path, events_dir: Path = EVENTS_DIR) -> CheckResult:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from operata_lambda.events.registry import EVENT_TYPES

    result = CheckResult()
    documents: dict[str, dict[str, Any]] = {}
    broken: set[str] = set()  # said once, above: not again as a type without a schema
    files = sorted(directory.glob("*.json"))
    if not files:
        result.problems.append(f"{directory}: no schema files")
    for path in files:
        problem = file_problem(path)  # the full check: only valid schemas meet the fixtures
        if problem:
            result.problems.append(problem)
            broken.add(path.stem)
            continue
        documents[path.stem] = schemas.read_schema_file(path)

    validators = {name: Draft202012Validator(doc) for name, doc in documents.items()}
    checked = 0
    for path in _fixture_files(events_dir):
        if path.name.startswith("bad-"):
            result.notes.append(f"skipped {path.name}: intentionally bad records")
            continue
        found = Samples()
        read_file(path, found, shown(path, ROOT))
        result.problems += [f"fixture {problem}" for problem in found.unreadable]
        for sample in found.events:
            event = sample.event
            if schemas.ENVELOPE in validators:
                error = best_match(validators[schemas.ENVELOPE].iter_errors(event))
                if error is not None:
                    at = dotted("", error.absolute_path) or "$"
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
                at = dotted("detail", error.absolute_path)
                result.problems.append(
                    f"fixture {sample.where} ({event['detail-type']}): {at}: {error.message} "
                    f"(rule {error.validator})"
                )
    result.notes.append(f"{checked} fixture event(s) validated")

    for detail_type in sorted(set(documents) - {schemas.ENVELOPE} - set(EVENT_TYPES)):
        result.problems.append(
            f"{detail_type}.json: no entry for {detail_type} in the registry (write its "
            "module under operata_lambda/events/ and list it in operata_lambda/events/registry.py)"
        )
    for detail_type, event_type in sorted(EVENT_TYPES.items()):
        described = documents.get(detail_type)
        if described is None and detail_type in broken:
            continue
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
