#!/usr/bin/env python3
"""Regenerate everything derived from the EventBridge events in events/source/ (`make fixtures`):

- events/*.json, the Lambda Kinesis events: one per registered detail-type, mixed-batch.json
  (every source file, grouped by detail-type in the registry's order, types without an entry
  last) and bad-records.json (each kind of bad record once, between good ones);
- tests/expected/*.txt, the text report block of each source file, as the processor renders it:
  a new fixture gets its file written; a changed rendering is shown as a diff, then written.

Review the result with `git diff`, then run `make test`. tests/integration/test_fixtures.py
fails when the files differ from what this script writes.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from operata.fixtures import kinesis_event  # noqa: E402
from operata_lambda import app  # noqa: E402
from operata_lambda.config import Settings  # noqa: E402
from operata_lambda.events.registry import EVENT_TYPES  # noqa: E402
from operata_lambda.pipeline.kinesis import KinesisRecord  # noqa: E402
from operata_lambda.pipeline.outcomes import Status  # noqa: E402
from operata_lambda.validation import schemas  # noqa: E402

SOURCE = ROOT / "events" / "source"
EXPECTED = ROOT / "tests" / "expected"


class FixtureError(Exception):
    """A source file that cannot be made into a fixture: the file and why."""


def source(name: str) -> bytes:
    return (SOURCE / f"{name}.json").read_bytes()


def source_names() -> list[str]:
    """Every source file, grouped by detail-type in the registry's order (the file named after
    the type first), then types the registry does not know."""
    order = {name: index for index, name in enumerate(EVENT_TYPES)}

    def key(name: str) -> tuple[int, bool, str]:
        try:
            detail_type = str(json.loads(source(name))["detail-type"])
        except (ValueError, KeyError, TypeError) as exc:
            raise FixtureError(f"{SOURCE / name}.json: not an EventBridge event ({exc})") from None
        return (order.get(detail_type, len(order)), name != detail_type, name)

    return sorted((p.stem for p in SOURCE.glob("*.json")), key=key)


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


def rendering(name: str) -> str:
    """The text report block of one source file, as the processor writes it."""
    (record,) = [KinesisRecord.from_lambda(r) for r in kinesis_event([source(name)])["Records"]]
    out = io.StringIO()
    with tempfile.TemporaryDirectory() as kept:  # where a rejected record would be kept
        settings = Settings(log_format="text", quarantine_dir=kept)
        sinks = app.build_sinks(settings, stream=out, container=app.Container())
        (outcome,) = app.run([record], settings, sinks)
    where = f"{SOURCE / name}.json"
    if outcome.status is not Status.PROCESSED:
        raise FixtureError(f"{where}: {outcome.status.value}: {outcome.reason}: {outcome.message}")
    if outcome.new_fields:
        paths = ", ".join(f.path for f in outcome.new_fields)
        raise FixtureError(
            f"{where}: fields the schema does not describe ({paths}): run "
            f"python -m operata schemas diff {where}, then schemas update"
        )
    _batch, text = out.getvalue().split("\n", 1)  # "Processing 1 Kinesis records ..."
    # The EMF documents follow the block (an unknown type's block holds JSON lines too).
    trace, block = text.split('\n{"_aws"')[0].split("\n", 1)
    if not trace.startswith("PROCESSED seq="):
        raise FixtureError(f"{where}: unexpected output before the report block: {trace}")
    return block + "\n"


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def write(path: Path, text: str, show_diff: bool = False) -> None:
    """Write text to path, saying what changed (and how, for a rendering)."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if old is None:
        print(f"new:     {relative(path)}")
    else:
        print(f"changed: {relative(path)}")
        if show_diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"a/{relative(path)}",
                    f"b/{relative(path)}",
                )
            )
    path.write_text(text, encoding="utf-8")


def write_event(name: str, event: dict[str, Any]) -> None:
    write(ROOT / "events" / f"{name}.json", json.dumps(event, indent=2) + "\n")


def main() -> int:
    os.environ.pop(schemas.SCHEMA_DIR_ENV, None)  # the project's schemas, whatever is set
    try:
        names = source_names()
        renderings = {name: rendering(name) for name in names}
    except FixtureError as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return 1
    for detail_type in EVENT_TYPES:
        if (SOURCE / f"{detail_type}.json").exists():
            write_event(detail_type, kinesis_event([source(detail_type)]))
    write_event("mixed-batch", kinesis_event([source(name) for name in names]))
    bad = bad_records()
    bad.insert(1, b"")  # a placeholder: data that is not base64 cannot be made by encoding
    event = kinesis_event(bad)
    event["Records"][1]["kinesis"]["data"] = "%%% not base64 %%%"
    write_event("bad-records", event)

    for name, text in renderings.items():
        write(EXPECTED / f"{name}.txt", text, show_diff=True)
    for stale in sorted(EXPECTED.glob("*.txt")):
        if stale.stem not in renderings:
            stale.unlink()
            print(f"removed: {relative(stale)} (no events/source/{stale.stem}.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
