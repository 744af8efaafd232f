"""The batches the benchmark feeds the handler, built from the fixtures in events/."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from operata.fixtures import kinesis_event
from operata_lambda.events.registry import EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "events" / "source"
BAD = ROOT / "events" / "bad-records.json"

# Out of every 100 records: mostly CallSummary, then the other published types, one type
# Operata added (no schema: shown generically) and a few records that are rejected.
# Every sample in events/source/ takes part: those of a registered type (EVENT_TYPES) with
# the weight below, or REGISTERED_WEIGHT when none is set (a new type joins the mix by
# itself); those of a type with no schema with UNKNOWN_WEIGHT.
WEIGHTS = {
    "CallSummary.json": 25,
    "CallSummary-excellent.json": 25,
    "CallSummary-minimal.json": 10,
    "InsightsSummary.json": 8,
    "InsightsSummary-three.json": 6,
    "InsightsSummary-none.json": 4,
}
REGISTERED_WEIGHT = 9
UNKNOWN_WEIGHT = 1


def _mix() -> dict[str, int]:
    mix = {}
    for path in sorted(SOURCES.glob("*.json")):
        detail_type = json.loads(path.read_bytes())["detail-type"]
        known = detail_type in EVENT_TYPES
        mix[path.name] = WEIGHTS.get(path.name, REGISTERED_WEIGHT) if known else UNKNOWN_WEIGHT
    return mix


MIX = _mix()
# Indexes in events/bad-records.json: not base64, not JSON, a detail that fails its schema.
BAD_RECORDS = (1, 3, 5)


def mixed_batch(size: int) -> dict[str, Any]:
    """A Lambda Kinesis event of `size` records in the proportions of MIX and BAD_RECORDS."""
    cycle: list[bytes] = []
    for name, count in MIX.items():
        cycle += [(SOURCES / name).read_bytes()] * count
    bad = json.loads(BAD.read_text())["Records"]
    stride = 7  # coprime with len(cycle): every payload once, the types interleaved
    assert math.gcd(stride, len(cycle)) == 1, "choose another stride for this MIX"
    ordered = [cycle[(i * stride) % len(cycle)] for i in range(len(cycle))]
    rejected = size // 33
    event = kinesis_event(ordered[i % len(ordered)] for i in range(size - rejected))
    for n in range(rejected):
        event["Records"].insert(n * 33 + 16, dict(bad[BAD_RECORDS[n % len(BAD_RECORDS)]]))
    return event


def call_summary_batch(max_bytes: int) -> dict[str, Any]:
    """CallSummary records up to `max_bytes` of event JSON (Lambda's payload limit is 6 MB)."""
    payload = (SOURCES / "CallSummary.json").read_bytes()
    one = len(json.dumps(kinesis_event([payload])))
    count = max_bytes // one + 1
    while True:
        event = kinesis_event([payload] * count)
        if len(json.dumps(event)) <= max_bytes:
            return event
        count -= max(1, count // 200)


def payloads(event: dict[str, Any]) -> list[str]:
    return [record["kinesis"]["data"] for record in event["Records"]]
