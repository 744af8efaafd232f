"""The JSON Schemas in schemas/: loading, fast validation, and explaining a failure.

jsonschema is the reference. The hot path runs validators that fastjsonschema compiles from the
same files (tests/test_validator_agreement.py shows that both give the same verdict); a record
that fails is explained with jsonschema's best_match, so the error names the path and the rule.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

SCHEMA_DIR_ENV = "OPERATA_SCHEMA_DIR"
ENVELOPE = "envelope"


def schema_dir() -> Path:
    configured = os.environ.get(SCHEMA_DIR_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "schemas"


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
    """A copy of the schema in which every described object allows no other properties."""
    if isinstance(schema, dict):
        out = {key: _closed(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


class EventSchema:
    """One schema file, with its validators compiled on first use."""

    def __init__(self, name: str, document: dict[str, Any], prefix: str) -> None:
        self.name = name
        self.document = document
        self.version = str(document.get("version", "0"))
        self.prefix = prefix  # where the validated document sits in the event: "detail" or ""
        self._exact: Callable[[Any], Any] | None = None
        self._open: Callable[[Any], Any] | None = None

    def _compile(self, document: dict[str, Any]) -> Callable[[Any], Any]:
        # fastjsonschema knows drafts 4 to 7; the keywords these schemas use mean the same
        # in 2020-12. Formats are annotations in 2020-12, so they are not asserted here either.
        draft7 = {**document, "$schema": "http://json-schema.org/draft-07/schema#"}
        validate: Callable[[Any], Any] = fastjsonschema.compile(draft7, use_formats=False)
        return validate

    def check(self, instance: Any) -> tuple[Violation | None, bool]:
        """Validate; return (the violation or None, whether fields outside the schema exist)."""
        if self._exact is None:
            self._exact = self._compile(_closed(self.document))
        try:
            self._exact(instance)
            return None, False
        except fastjsonschema.JsonSchemaException:
            pass
        if self._open is None:
            self._open = self._compile(self.document)
        try:
            self._open(instance)
            return None, True
        except fastjsonschema.JsonSchemaException:
            return self.explain(instance), False

    def explain(self, instance: Any) -> Violation:
        """The most relevant reason, according to jsonschema, that `instance` is invalid."""
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import best_match

        error = best_match(Draft202012Validator(self.document).iter_errors(instance))
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
        from jsonschema import Draft202012Validator

        return bool(Draft202012Validator(self.document).is_valid(instance))


def read_schema_file(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a schema must be a JSON object")
    return document


@cache
def _load(directory: Path, name: str) -> EventSchema | None:
    path = directory / f"{name}.json"
    if not path.is_file():
        return None
    prefix = "" if name == ENVELOPE else "detail"
    return EventSchema(name, read_schema_file(path), prefix)


def for_detail_type(detail_type: str) -> EventSchema | None:
    """The schema for a detail-type, or None when there is none (a type Operata added)."""
    if not detail_type or detail_type == ENVELOPE or "/" in detail_type or "\\" in detail_type:
        return None
    return _load(schema_dir(), detail_type)


def envelope() -> EventSchema:
    schema = _load(schema_dir(), ENVELOPE)
    if schema is None:
        raise FileNotFoundError(f"no {ENVELOPE}.json in {schema_dir()}")
    return schema


def detail_types() -> list[str]:
    return sorted(p.stem for p in schema_dir().glob("*.json") if p.stem != ENVELOPE)


def clear_cache() -> None:
    """Forget loaded schemas (after the files changed, e.g. in redrive or tests)."""
    _load.cache_clear()
