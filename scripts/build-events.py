#!/usr/bin/env python3
"""Regenerate events/*.json (Lambda Kinesis events) from the EventBridge events in events/source/.

Run from the project root: `python scripts/build-events.py`. tests/test_fixtures.py fails when
the files in events/ differ from what this script writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from operata.fixtures import kinesis_event  # noqa: E402

SOURCE = ROOT / "events" / "source"
TYPES = ["CallSummary", "InsightsSummary", "AgentReportedIssue", "HeadsetSummary"]
MIXED = [
    "CallSummary",
    "CallSummary-excellent",
    "CallSummary-minimal",
    "InsightsSummary",
    "InsightsSummary-none",
    "InsightsSummary-three",
    "AgentReportedIssue",
    "HeadsetSummary",
    "QueueHealthSummary",
]


def source(name: str) -> bytes:
    return (SOURCE / f"{name}.json").read_bytes()


def with_change(name: str, change: dict[str, object]) -> bytes:
    event = json.loads(source(name))
    event.update(change)
    return json.dumps(event).encode()


def wrong_mos_type() -> bytes:
    event = json.loads(source("CallSummary"))
    event["id"] = "bad00000-0000-4000-8000-000000000001"
    event["detail"]["webRTCSession"]["metrics"]["mos"]["avg"] = "high"
    return json.dumps(event).encode()


def bad_records() -> list[bytes]:
    """Each kind of bad record once, between good ones: all must be named in the log."""
    missing_detail = json.loads(source("InsightsSummary"))
    del missing_detail["detail"]
    return [
        source("CallSummary"),
        b"\xff\xfe not UTF-8 \x80",  # valid base64 of bytes that are not text
        b"this is not JSON {",
        b'["an", "array"]',
        wrong_mos_type(),
        json.dumps(missing_detail).encode(),
        with_change("CallSummary", {"source": "aws.partner/operata.comx/spoofed/bus"}),
        source("QueueHealthSummary"),
        source("HeadsetSummary"),
    ]


def write(name: str, event: dict[str, object]) -> None:
    (ROOT / "events" / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n")


def main() -> None:
    for name in TYPES:
        write(name, kinesis_event([source(name)]))
    mixed = [source(name) for name in MIXED]
    write("mixed-batch", kinesis_event(mixed))
    bad = bad_records()
    bad.insert(1, b"")  # a placeholder: data that is not base64 cannot be made by encoding
    event = kinesis_event(bad)
    event["Records"][1]["kinesis"]["data"] = "%%% not base64 %%%"
    write("bad-records", event)


if __name__ == "__main__":
    main()
