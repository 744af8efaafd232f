"""events/ is what scripts/build-events.py writes, and `python -m operata kinesis-event` works."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import EVENTS, ROOT, SOURCES


def test_events_are_up_to_date(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    (copy / "events").mkdir(parents=True)
    shutil.copytree(SOURCES, copy / "events" / "source")
    shutil.copytree(ROOT / "operata", copy / "operata")
    shutil.copytree(ROOT / "operata_lambda", copy / "operata_lambda")
    shutil.copytree(ROOT / "scripts", copy / "scripts")
    subprocess.run([sys.executable, "scripts/build-events.py"], cwd=copy, check=True)
    written = sorted(p.name for p in (copy / "events").glob("*.json"))
    assert written == sorted(p.name for p in EVENTS.glob("*.json"))
    for name in written:
        assert (copy / "events" / name).read_text() == (EVENTS / name).read_text(), name


def test_kinesis_event_command_wraps_files() -> None:
    files = [str(SOURCES / "CallSummary.json"), str(SOURCES / "HeadsetSummary.json")]
    result = subprocess.run(
        [sys.executable, "-m", "operata", "kinesis-event", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    records = json.loads(result.stdout)["Records"]
    assert [base64.b64decode(r["kinesis"]["data"]) for r in records] == [
        Path(f).read_bytes() for f in files
    ]
    assert records[0]["kinesis"]["partitionKey"] == "530848f3-1111-2222-3333-b33ba70c19f0"
    sequences = [int(r["kinesis"]["sequenceNumber"]) for r in records]
    assert sequences == sorted(sequences) and len(set(sequences)) == 2


def test_kinesis_event_command_names_an_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = subprocess.run(
        [sys.executable, "-m", "operata", "kinesis-event", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert str(missing) in result.stderr
