"""redrive --local: the local loop a person runs without AWS. Records rejected by a local run
(the handler, as `sls invoke local` runs it) are set aside in the local quarantine; after a
schema update, `redrive --local` replays them with the same filters as for a bucket; and a
quarantine entry can be wrapped again with `kinesis-event`."""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from operata.cli import REJECTION_REASONS, main
from operata.fixtures import kinesis_event
from operata_lambda.config import Settings
from operata_lambda.pipeline.kinesis import KinesisRecord
from tests.helpers import EVENTS, ROOT, encode, records_of, run_batch, source_event
from tests.integration.test_redrive import _widen_duration


def set_aside(directory: Path, *events: dict[str, Any], extra: bytes = b"") -> list[Path]:
    """Run events through the function with a local quarantine in `directory`; the files."""
    payloads = [encode(e) for e in events] + ([extra] if extra else [])
    settings = dataclasses.replace(Settings.from_env(), quarantine_dir=str(directory))
    outcomes, _ = run_batch(records_of(*payloads), settings)
    return [Path(o.kept_at) for o in outcomes if o.kept_at]


def text_duration(event_id: str) -> dict[str, Any]:
    event = source_event("CallSummary")
    event["id"] = event_id
    event["detail"]["billing"]["durationRoundedMin"] = "3"
    return event


def files(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.json"))


def test_set_aside_update_replay(
    tmp_path: Path, schema_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "kept"
    paths = set_aside(kept, text_duration("a1"), extra=b"not json")
    assert len(paths) == 2
    before = files(kept)
    _widen_duration(schema_dir)

    assert main(["redrive", "--local", str(kept), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would be processed" in out and "would be rejected" in out
    assert "dry run, nothing changed" in out
    assert files(kept) == before

    assert main(["redrive", "--local", str(kept), "--reason", "schema_invalid"]) == 0
    out = capsys.readouterr().out
    (moved,) = [key for key in before if key.startswith("schema_invalid/")]
    assert f"{moved}: now processed" in out
    assert files(kept) == sorted([f"redriven/{moved}", *[key for key in before if key != moved]])


def test_filters_by_detail_type_and_date(
    tmp_path: Path, schema_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "kept"
    insights = source_event("InsightsSummary")
    insights["id"] = "b2"
    insights["detail"] = []  # rejected: detail is not an object
    set_aside(kept, text_duration("a1"), insights)
    _widen_duration(schema_dir)
    keys = files(kept)
    arrival = next(iter({"/".join(key.split("/")[1:4]) for key in keys}))  # YYYY/MM/DD
    day = arrival.replace("/", "-")

    assert main(["redrive", "--local", str(kept), "--detail-type", "CallSummary"]) == 0
    out = capsys.readouterr().out
    assert "now processed" in out and "InsightsSummary" not in out
    assert "processed 1, skipped 0, rejected 0" in out

    assert main(["redrive", "--local", str(kept), "--date", "1999-01-01", "--dry-run"]) == 0
    assert "processed 0, skipped 0, rejected 0" in capsys.readouterr().out
    assert main(["redrive", "--local", str(kept), "--date", day, "--dry-run"]) == 0
    assert "processed 0, skipped 0, rejected 1" in capsys.readouterr().out


def test_reason_choices_cover_every_rejection_of_the_bad_records(tmp_path: Path) -> None:
    event = json.loads((EVENTS / "bad-records.json").read_text())
    records = [KinesisRecord.from_lambda(r) for r in event["Records"]]
    settings = dataclasses.replace(Settings(), quarantine_dir=str(tmp_path))
    outcomes, _ = run_batch(records, settings)
    reasons = {o.reason for o in outcomes if o.kept_at}
    assert reasons and reasons <= set(REJECTION_REASONS)


def test_kinesis_event_wraps_a_quarantine_entry_as_delivered(tmp_path: Path) -> None:
    (path,) = set_aside(tmp_path / "kept", text_duration("a1"))
    entry = json.loads(path.read_text())
    result = subprocess.run(
        [sys.executable, "-m", "operata", "kinesis-event", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (record,) = json.loads(result.stdout)["Records"]
    assert record["kinesis"]["data"] == entry["data"]
    assert kinesis_event([base64.b64decode(entry["data"])])["Records"][0] == record


def test_no_local_quarantine_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing-here"
    assert main(["redrive", "--local", str(missing)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"error: no local quarantine at {missing} (--local DIR)"
