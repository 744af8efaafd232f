"""Small helpers shared by the tests."""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from operata.fixtures import kinesis_event
from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
SOURCES = EVENTS / "source"
SLS = ROOT / "node_modules" / ".bin" / "sls"


def source_event(name: str) -> dict[str, Any]:
    return json.loads((SOURCES / f"{name}.json").read_text())


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def records_of(*payloads: bytes) -> list[KinesisRecord]:
    return [KinesisRecord.from_lambda(r) for r in kinesis_event(payloads)["Records"]]


def record_with_data(data: str, sequence: str = "1") -> KinesisRecord:
    return KinesisRecord(sequence, "pk", data, "shardId-000000000000", "arn:stream", 1.0)


def b64(payload: bytes) -> str:
    return base64.b64encode(payload).decode()


def run_batch(
    records: list[KinesisRecord],
    settings: Settings | None = None,
    *,
    time_left_ms: Callable[[], int] | None = None,
    **sink_options: Any,
) -> tuple[list[Outcome], str]:
    """Run records through the function's wiring (app.build_sinks with `sink_options`),
    rejected ones kept in a temporary directory (see Outcome.kept_at); return the final
    outcomes and everything written."""
    settings = settings or Settings()
    if settings.quarantine_dir == Settings.quarantine_dir:
        settings = dataclasses.replace(settings, quarantine_dir=tempfile.mkdtemp())
    out = io.StringIO()
    sinks = app.build_sinks(settings, stream=out, time_left_ms=time_left_ms, **sink_options)
    outcomes = app.run(records, settings, sinks, time_left_ms=time_left_ms)
    return outcomes, out.getvalue()


def kept_entry(outcome: Outcome) -> dict[str, Any]:
    """The quarantine entry a rejected outcome was kept as (a local file)."""
    return dict(json.loads(Path(outcome.kept_at).read_text()))


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and list indexes) in a JSON value, the value itself first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_in(item, (*prefix, index))
    return found


def value_at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


@dataclass(frozen=True)
class NewField:
    """A field added to a sample that the schema in schemas/ does not describe (yet)."""

    path: str  # detail.webRTCSession.metrics.inbound.concealedSamples
    parts: tuple[str, ...]  # the keys under detail
    example: Any
    json_type: str  # as drift reports it: integer, object, string
    schema_type: str  # as `schemas update` writes it: number, object, string

    @property
    def key(self) -> str:
        return self.parts[-1]


# (where under detail, the name Operata might use, a value): the name gets a number when the
# schema already describes it, so that these stay new in any state `schemas update` leaves.
_THREE_NEW = [
    (("webRTCSession", "metrics", "inbound"), "concealedSamples", 1200, "integer", "number"),
    (("serviceAgent", "machine"), "gpu", {"vendor": "NVIDIA", "memoryGb": 8}, "object", "object"),
    (("contact", "events"), "transferred", "2023-06-01T05:00:01.000Z", "string", "string"),
]


def schema_properties(detail_type: str, parts: tuple[str, ...]) -> dict[str, Any]:
    """The properties the project's schema describes for the object at `parts` of detail."""
    node: Any = json.loads((ROOT / "schemas" / f"{detail_type}.json").read_text())
    for part in parts:
        node = node["properties"][part]
    properties: dict[str, Any] = node["properties"]
    return properties


def three_new_fields() -> list[NewField]:
    """Three nested fields the CallSummary schema does not describe, read from the schema."""
    fields = []
    for parts, name, example, json_type, schema_type in _THREE_NEW:
        described = schema_properties("CallSummary", parts)
        key, n = name, 1
        while key in described:
            n += 1
            key = f"{name}{n}"
        path = ".".join(["detail", *parts, key])
        fields.append(NewField(path, (*parts, key), example, json_type, schema_type))
    return fields


def call_summary_with_three_new_fields() -> dict[str, Any]:
    """The CallSummary sample with the three_new_fields() its schema does not describe."""
    event = source_event("CallSummary")
    for new in three_new_fields():
        value_at(event["detail"], new.parts[:-1])[new.key] = copy.deepcopy(new.example)
    return event


def schema_version(detail_type: str, directory: Path = ROOT / "schemas") -> str:
    document = json.loads((directory / f"{detail_type}.json").read_text())
    return str(document["version"])


def pending_markers(directory: Path = ROOT / "schemas") -> int:
    """How many properties the schema files mark "x-model": false (described, read by no model
    yet): when `schemas check` passes, it lists each of them as pending."""

    def count(node: Any) -> int:
        if isinstance(node, dict):
            return int(node.get("x-model") is False) + sum(count(v) for v in node.values())
        if isinstance(node, list):
            return sum(count(v) for v in node)
        return 0

    return sum(count(json.loads(f.read_text())) for f in sorted(directory.glob("*.json")))


def sls_invoke_local(
    fixture: str, path_first: Path, *args: str, stage: str | None = "local", **env: str
) -> subprocess.CompletedProcess[str]:
    """`sls invoke local` with `path_first` (a bin directory) first on PATH, no venv active and
    no AWS credentials; `args` after `-p fixture`; `stage=None`: no --stage."""
    if not SLS.exists():
        pytest.fail("node_modules/.bin/sls is missing: run `make install`")
    environment = {
        **os.environ,
        "PATH": f"{path_first}{os.pathsep}{os.environ['PATH']}",
        "SLS_TELEMETRY_DISABLED": "1",
    }
    left_out = {"QUARANTINE_BUCKET", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    for name in list(environment):
        if name.startswith("AWS_") or name in left_out:
            environment.pop(name)
    environment.update(env)
    stage_args = ["--stage", stage] if stage else []
    return subprocess.run(
        [str(SLS), "invoke", "local", *stage_args, "-f", "processEvents", "-p", fixture, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


# Operata's four published types, whose main samples (events/source/<type>.json) are about one
# contact so that the archive's contact timeline joins them; a type added later has its own.
ONE_CONTACT_TYPES = ("CallSummary", "InsightsSummary", "AgentReportedIssue", "HeadsetSummary")
