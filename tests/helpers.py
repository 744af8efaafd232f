"""Small helpers shared by the tests."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from operata.fixtures import kinesis_event
from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
SOURCES = EVENTS / "source"


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
    records: list[KinesisRecord], settings: Settings | None = None, **kwargs: Any
) -> tuple[list[Outcome], str]:
    """Run records through the function's wiring, rejected ones kept in a temporary directory
    (see Outcome.kept_at); return the outcomes and everything written."""
    settings = settings or Settings()
    if settings.quarantine_dir == Settings.quarantine_dir:
        settings = dataclasses.replace(settings, quarantine_dir=tempfile.mkdtemp())
    out = io.StringIO()
    outcomes = app.run(records, settings, stream=out, **kwargs)
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


def call_summary_with_three_new_fields() -> dict[str, Any]:
    """The CallSummary sample with three nested fields its schema does not describe."""
    event = source_event("CallSummary")
    detail = event["detail"]
    detail["webRTCSession"]["metrics"]["inbound"]["concealedSamples"] = 1200
    detail["serviceAgent"]["machine"]["gpu"] = {"vendor": "NVIDIA", "memoryGb": 8}
    detail["contact"]["events"]["transferred"] = "2023-06-01T05:00:01.000Z"
    return event
