"""events/ and tests/expected/ are what `make fixtures` (scripts/build-fixtures.py) writes, and
`python -m operata kinesis-event` works."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import EVENTS, ROOT, SOURCES

EXPECTED = ROOT / "tests" / "expected"
BATCHES = ["mixed-batch.json", "bad-records.json"]


def project_copy(tmp_path: Path) -> Path:
    """What the fixtures are made from, in a new directory: sources, code, schemas, script."""
    copy = tmp_path / "project"
    (copy / "events").mkdir(parents=True)
    shutil.copytree(SOURCES, copy / "events" / "source")
    for name in ["operata", "operata_lambda", "scripts", "schemas"]:
        shutil.copytree(ROOT / name, copy / name)
    return copy


def build(copy: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/build-fixtures.py"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=True,
    )


def test_events_and_expected_renderings_are_up_to_date(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    shutil.copy(EVENTS / "mixed-batch.json", copy / "events")  # holds the records' order
    build(copy)
    for made, kept, pattern in [
        (copy / "events", EVENTS, "*.json"),
        (copy / "tests" / "expected", EXPECTED, "*.txt"),
    ]:
        written = sorted(p.name for p in made.glob(pattern))
        assert written == sorted(p.name for p in kept.glob(pattern))
        for name in written:
            assert (made / name).read_text() == (kept / name).read_text(), name


def test_make_fixtures_writes_a_new_one_and_shows_a_changed_one(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    shutil.copytree(EXPECTED, copy / "tests" / "expected")
    shutil.copytree(EVENTS, copy / "events", dirs_exist_ok=True)
    assert build(copy).stdout == ""  # nothing to do

    event = json.loads((SOURCES / "HeadsetSummary.json").read_text())
    event["id"] = "headset-0000-4000-8000-000000000002"
    (copy / "events" / "source" / "HeadsetSummary-second.json").write_text(json.dumps(event))
    changed = json.loads((SOURCES / "CallSummary.json").read_text())
    changed["detail"]["contact"]["queueName"] = "Renamed Queue"
    (copy / "events" / "source" / "CallSummary.json").write_text(json.dumps(changed))
    out = build(copy).stdout

    assert "new:     tests/expected/HeadsetSummary-second.txt" in out
    assert "changed: tests/expected/CallSummary.txt" in out
    assert "+  Queue: Renamed Queue" in out  # the diff, to review
    assert "changed: events/mixed-batch.json" in out
    assert (
        "Event ID: headset-0000-4000-8000-000000000002"
        in (copy / "tests" / "expected" / "HeadsetSummary-second.txt").read_text()
    )
    mixed = json.loads((copy / "events" / "mixed-batch.json").read_text())["Records"]
    assert len(mixed) == len(list((copy / "events" / "source").glob("*.json")))


def records_text(path: Path) -> list[str]:
    """Each record of a generated Kinesis event as the lines the file holds it in."""
    return [json.dumps(r, indent=2) for r in json.loads(path.read_text())["Records"]]


def test_a_new_sample_leaves_every_existing_record_byte_identical(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    shutil.copytree(EVENTS, copy / "events", dirs_exist_ok=True)
    before = {name: (copy / "events" / name).read_text() for name in BATCHES}
    # A sample of the first type that sorts before its other samples: it still comes last.
    event = json.loads((SOURCES / "CallSummary.json").read_text())
    event["id"] = "aaaa0000-0000-4000-8000-000000000001"
    (copy / "events" / "source" / "CallSummary-aaa.json").write_text(json.dumps(event))
    build(copy)
    for name in BATCHES:
        after = (copy / "events" / name).read_text()
        old = before[name].rstrip().removesuffix("]\n}").rstrip().removesuffix("}")
        assert after.startswith(old), name  # every existing line kept, byte for byte
    mixed = json.loads((copy / "events" / "mixed-batch.json").read_text())["Records"]
    assert base64.b64decode(mixed[-1]["kinesis"]["data"]) == json.dumps(event).encode()
    assert (copy / "events" / "bad-records.json").read_text() == before["bad-records.json"]


def test_two_samples_with_one_event_id_are_named(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    first = sorted(SOURCES.glob("*.json"))[0]
    twin = copy / "events" / "source" / f"{first.stem}-twin.json"
    twin.write_bytes(first.read_bytes())
    result = subprocess.run(
        [sys.executable, "scripts/build-fixtures.py"], cwd=copy, capture_output=True, text=True
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    event_id = json.loads(first.read_text())["id"]
    assert f"{first.name} and " in line and f"{twin.name} have the same event id {event_id}" in line
    assert not (copy / "tests" / "expected").exists()  # nothing written


def test_make_fixtures_refuses_a_fixture_the_schemas_do_not_describe(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    event = json.loads((SOURCES / "CallSummary.json").read_text())
    event["detail"]["contact"]["brandNewField"] = 1
    event["id"] = "bbbb0000-0000-4000-8000-000000000001"
    (copy / "events" / "source" / "CallSummary-new.json").write_text(json.dumps(event))
    result = subprocess.run(
        [sys.executable, "scripts/build-fixtures.py"], cwd=copy, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "CallSummary-new.json" in result.stderr
    assert "detail.contact.brandNewField" in result.stderr
    assert "schemas diff" in result.stderr
    assert not (copy / "tests" / "expected").exists()  # nothing written


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
