"""The JSON Schemas in schemas/: the files read, each schema's check built on first use, and
the violation a rejected document gets.

The hot path runs the generated check (generated.py); a schema without one is checked by
jsonschema (reference.py), which also explains every rejection. A SchemaSet keeps a directory's
schemas for the life of a warm container.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from operata_lambda.config import SCHEMA_DIR_ENV
from operata_lambda.rendering.safe import clip
from operata_lambda.validation.generated import INVALID, VALID, VALID_WITH_NEW_FIELDS, fast_check
from operata_lambda.validation.paths import dotted

ENVELOPE = "envelope"
PACKAGED_DIR = Path(__file__).resolve().parents[2] / "schemas"  # beside handler.py in the zip
# jsonschema's messages quote the failing value whole; a value of a megabyte is cut here so that
# every later step (the line, its redaction, the quarantine entry's error) stays small.
MAX_MESSAGE = 1000

__all__ = [
    "INVALID",
    "SCHEMA_DIR_ENV",
    "VALID",
    "VALID_WITH_NEW_FIELDS",
    "EventSchema",
    "SchemaSet",
    "Violation",
]


@dataclass(frozen=True)
class Violation:
    """Why a document does not match its schema: where, which rule, which value."""

    path: str  # a dotted path from the event, e.g. detail.webRTCSession.metrics.mos.avg
    rule: str  # the JSON Schema keyword that failed, e.g. type
    value: Any
    message: str  # jsonschema's message, e.g. 'high' is not of type 'number'

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def compile_check(schema: Any, *, registry: Any = None) -> Callable[[Any], int]:
    """A function answering VALID, VALID_WITH_NEW_FIELDS or INVALID for an instance: the
    generated check, or jsonschema's (reference_check) when there is none for this schema."""
    check = fast_check(schema)
    if check is not None:
        return check
    from operata_lambda.validation.reference import reference_check

    return reference_check(schema, registry=registry)


class EventSchema:
    """One schema file, with its check compiled on first use."""

    def __init__(
        self, name: str, document: dict[str, Any], prefix: str, *, registry: Any = None
    ) -> None:
        self.name = name
        self.document = document
        self.version = str(document.get("version", "0"))
        self.prefix = prefix  # where the validated document sits in the event: "detail" or ""
        self._check: Callable[[Any], int] | None = None
        self._explainer: Any = None  # reference.Explainer, built at the first rejection
        self._registry = registry  # a referencing.Registry for $refs to other documents

    def check(
        self, instance: Any, *, out_of_time: Callable[[], bool] | None = None
    ) -> tuple[Violation | None, bool]:
        """Validate; return (the violation or None, whether fields outside the schema exist).
        `out_of_time()` is asked while a rejection is explained: when it says so, the
        explanation is the best found so far."""
        check = self._check
        if check is None:
            check = self._check = compile_check(self.document, registry=self._registry)
        verdict = check(instance)
        if verdict == VALID:
            return None, False
        if verdict == VALID_WITH_NEW_FIELDS:
            return None, True
        return self.explain(instance, out_of_time), False

    def explain(self, instance: Any, out_of_time: Callable[[], bool] | None = None) -> Violation:
        """The most relevant reason, according to jsonschema, that `instance` is invalid
        (reference.Explainer: within bounds of work, whatever the record)."""
        if self._explainer is None:
            from operata_lambda.validation.reference import Explainer

            self._explainer = Explainer(self.document, registry=self._registry)
        try:
            error = self._explainer.best_error(instance, out_of_time)
        except RecursionError:  # a value nested deeper than jsonschema's messages can show
            return self._unexplained("the value is nested too deeply to explain")
        if error is None and out_of_time is not None and out_of_time():
            return self._unexplained("too little time left to explain")
        return self.violation(error)

    def violation(self, error: Any) -> Violation:
        """jsonschema's error (or None) as a Violation of this schema."""
        if error is None:  # the generated check and the reference disagree: say so, loudly
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
            message=clip(error.message, MAX_MESSAGE),
        )

    def _unexplained(self, why: str) -> Violation:
        return Violation(
            self.prefix or "$", "unexplained", None, f"does not match {self.name}: {why}"
        )


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


def clear_cache() -> None:
    """Forget loaded schemas (after the files changed, e.g. in redrive or tests)."""
    _sets.clear()
