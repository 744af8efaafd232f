"""`python -m operata schemas diff | update | check`, on copies of schemas/."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from operata import model_check, schema_tools
from operata.cli import main
from operata_lambda.config import Settings
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.quarantine import entry
from tests.helpers import (
    ROOT,
    SOURCES,
    call_summary_with_three_new_fields,
    encode,
    pending_markers,
    records_of,
    run_batch,
    schema_version,
    source_event,
    three_new_fields,
)

# Versions, field names and pending items are read from the files: these tests hold in any
# state the documented tools leave schemas/ and events/source/ in.
NEW = three_new_fields()
THREE_NEW = {new.path: (new.schema_type, new.example) for new in NEW}
CALL_VERSION = schema_version("CallSummary")
# the model classes that read the objects holding the new fields, and the new class for gpu
MODEL_FIELDS = [
    f"InboundAudio.{model_check.snake(NEW[0].key)}: float | None = None",
    f"Machine.{model_check.snake(NEW[1].key)}: {model_check.pascal(NEW[1].key)} | None = None",
    f"ContactEvents.{model_check.snake(NEW[2].key)}: str | None = None",
]


pytestmark = pytest.mark.usefixtures("fresh_container")


@pytest.fixture
def copy_dir(tmp_path: Path) -> Path:
    """A copy of schemas/ (with its CHANGELOG.md) to update."""
    target = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", target)
    return target


def conflicting() -> dict[str, Any]:
    event = source_event("CallSummary")
    event["detail"]["webRTCSession"]["metrics"]["mos"]["avg"] = "4.3"
    return event


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["schemas", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def schema_text(directory: Path, name: str = "CallSummary") -> str:
    return (directory / f"{name}.json").read_text(encoding="utf-8")


def schema_of(directory: Path, name: str = "CallSummary") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(schema_text(directory, name))
    return document


# --- diff ----------------------------------------------------------------------------------


def described_fixtures() -> list[Path]:
    """The files in events/source/ whose detail-type has a schema."""
    return [
        path
        for path in sorted(SOURCES.glob("*.json"))
        if (ROOT / "schemas" / f"{json.loads(path.read_text())['detail-type']}.json").is_file()
    ]


def test_diff_of_the_fixtures_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "diff", *map(str, described_fixtures()))
    assert status == 0, out + err
    assert f"CallSummary: described by CallSummary.json version {CALL_VERSION}" in out


def queue_health_sample(name: str = "QueueHealthSummaryX") -> dict[str, Any]:
    """An Operata event of a detail-type the project has no schema for."""
    event = source_event("CallSummary")
    event["detail-type"] = name
    event["detail"] = {"queueName": "Support", "agentsAvailable": 4, "longestWaitSec": 95.5}
    assert not (ROOT / "schemas" / f"{name}.json").exists()
    return event


def test_diff_of_a_type_without_a_schema_exits_1_with_the_command_that_creates_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write(tmp_path / "new type.json", queue_health_sample())
    good = write(tmp_path / "good.json", source_event("CallSummary"))
    status, out, _ = run(capsys, "diff", str(good), str(sample))
    assert status == 1
    (line,) = [line for line in out.splitlines() if line.startswith("QueueHealthSummaryX:")]
    command = f"python -m operata schemas update --new-type {good} '{sample}'"
    assert line.endswith(command), line
    assert "no schema (1 event)" in line


def test_update_of_a_type_without_a_schema_needs_new_type(
    tmp_path: Path, copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write(tmp_path / "queue.json", queue_health_sample())
    status, out, _ = run(capsys, "update", "--schemas-dir", str(copy_dir), str(sample))
    assert status == 1
    assert f"schemas update --new-type --schemas-dir {copy_dir} {sample}" in out
    assert not (copy_dir / "QueueHealthSummaryX.json").exists()

    # --new-type writes the type's module too: only in the project, never beside another dir
    status, out, err = run(
        capsys, "update", "--new-type", "--schemas-dir", str(copy_dir), str(sample)
    )
    assert status == 2
    (line,) = err.splitlines()
    assert line.startswith("error: --new-type writes the type's module too")
    assert line.endswith("leave out --schemas-dir")
    assert sorted(p.name for p in copy_dir.iterdir()) == sorted(
        p.name for p in (ROOT / "schemas").iterdir()
    )


def test_diff_lists_new_fields_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write(tmp_path / "drifted.json", call_summary_with_three_new_fields())
    status, out, _ = run(capsys, "diff", str(sample))
    assert status == 1
    assert f"CallSummary: CallSummary.json version {CALL_VERSION} needs an update (1 event)" in out
    lines = out.splitlines()
    for path, (kind, example) in THREE_NEW.items():
        (line,) = [line for line in lines if line.strip().startswith(path + " ")]
        assert f"  {kind}  e.g. {json.dumps(example)}" in line
    assert "type conflicts" not in out
    assert "required fields missing" not in out


def test_diff_reads_kinesis_events_quarantine_entries_logs_and_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = encode(call_summary_with_three_new_fields())
    (record,) = records_of(payload)
    quarantined = entry(Outcome(record, Status.REJECTED, "schema_invalid", "test"))
    samples = tmp_path / "samples"
    write(samples / "kinesis.json", {"Records": [{"kinesis": {"data": record.data}}]})
    write(samples / "nested" / "entry.json", quarantined)
    event = call_summary_with_three_new_fields()
    log_text = (
        "START RequestId: 1\n"
        f"DEBUG envelope {json.dumps(event)}\n"
        f"{json.dumps({'level': 'DEBUG', 'message': 'envelope', 'envelope': event})}\n"
        "END RequestId: 1\n"
    )
    (samples / "nested" / "lambda.log").write_text(log_text)
    status, out, err = run(capsys, "diff", str(samples))
    assert status == 1, err
    assert "needs an update (4 events)" in out  # one in each file, two in the log
    assert all(path in out for path in THREE_NEW)


def test_diff_reports_a_type_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = write(tmp_path / "conflict.json", conflicting())
    status, out, _ = run(capsys, "diff", str(sample))
    assert status == 1
    assert 'detail.webRTCSession.metrics.mos.avg  schema number, seen string  e.g. "4.3"' in out


def test_diff_reports_required_fields_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = source_event("CallSummary")
    del event["detail"]["contact"]["id"]["current"]
    status, out, _ = run(capsys, "diff", str(write(tmp_path / "e.json", event)))
    assert status == 1
    assert "required fields missing" in out
    assert "detail.contact.id.current  1 of 1" in out


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("missing.json", None, "no such file"),
        ("broken.json", "{ not json", "not JSON"),
        ("array.json", "[1, 2]", "not an event"),
        ("other.json", '{"hello": "world"}', "not an EventBridge event"),
        ("no-detail.json", '{"detail-type": "CallSummary", "source": "x"}', "no detail"),
        ("bad-data.json", '{"Records": [{"kinesis": {"data": "%%%"}}]}', "not valid base64"),
    ],
)
def test_unreadable_input_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | None, why: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    good = write(tmp_path / "good.json", source_event("CallSummary"))
    status, out, err = run(capsys, "diff", str(good), str(path))
    assert status == 2
    assert str(path) in err and why in err
    assert "CallSummary: described by" in out  # the readable input is still compared


def test_a_missing_schemas_dir_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "good.json", source_event("CallSummary"))
    for argv in (["diff", str(good)], ["update", str(good)], ["check"]):
        status, _, err = run(capsys, *argv, "--schemas-dir", str(tmp_path / "nowhere"))
        assert status == 2
        assert "nowhere" in err


def test_an_empty_folder_is_unreadable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    status, _, err = run(capsys, "diff", str(tmp_path / "empty"))
    assert status == 2
    assert "empty" in err


# --- update --------------------------------------------------------------------------------


def test_update_adds_the_fields_then_diff_exits_0_and_check_passes(
    tmp_path: Path, copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write(tmp_path / "drifted.json", call_summary_with_three_new_fields())
    before = schema_of(copy_dir)
    status, out, err = run(capsys, "update", "--schemas-dir", str(copy_dir), str(sample))
    assert status == 0, out + err
    minor = schema_tools.bump(CALL_VERSION, major=False)
    assert f"CallSummary.json: version {CALL_VERSION} -> {minor}" in out
    for line in MODEL_FIELDS:  # the models are hand-written: say what they need
        assert line in out
    assert f"class {model_check.pascal(NEW[1].key)}(Model):" in out
    assert "memory_gb: float | None = None" in out

    after = schema_of(copy_dir)
    assert after["version"] == minor
    metrics = after["properties"]["webRTCSession"]["properties"]["metrics"]["properties"]
    assert metrics["inbound"]["properties"][NEW[0].key] == {
        "description": "TODO: describe",
        "examples": [1200],
        "type": "number",
        "x-model": False,
    }
    gpu = after["properties"]["serviceAgent"]["properties"]["machine"]["properties"][NEW[1].key]
    assert gpu["type"] == "object"
    assert gpu["x-model"] is False
    assert gpu["properties"]["vendor"] == {
        "description": "TODO: describe",
        "examples": ["NVIDIA"],
        "type": "string",
    }
    assert gpu["properties"]["memoryGb"]["type"] == "number"
    transferred = after["properties"]["contact"]["properties"]["events"]["properties"][NEW[2].key]
    assert transferred["type"] == "string"
    # nothing else changed
    for name in ["accountProperties", "billing"]:
        assert after["properties"][name] == before["properties"][name]
    assert after["required"] == before["required"]
    # written in the stable form
    text = schema_text(copy_dir)
    assert text == json.dumps(after, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    # one CHANGELOG line per change, in the updated directory
    changelog = (copy_dir / "CHANGELOG.md").read_text().splitlines()
    added = [line for line in changelog if f"CallSummary {CALL_VERSION} -> {minor}: added" in line]
    assert len(added) == 3
    assert all(any(path in line for line in added) for path in THREE_NEW)
    assert (ROOT / "schemas" / "CHANGELOG.md").read_text() != "\n".join(changelog) + "\n"

    status, out, _ = run(capsys, "diff", "--schemas-dir", str(copy_dir), str(sample))
    assert status == 0, out
    status, out, _ = run(capsys, "check", "--schemas-dir", str(copy_dir))
    assert status == 0, out
    pending = [line for line in out.splitlines() if line.startswith("pending:")]
    assert len(pending) == pending_markers() + 3
    assert any(MODEL_FIELDS[0].split(":")[0] in line for line in pending)

    # a second update finds nothing to do and writes nothing
    status, out, _ = run(capsys, "update", "--schemas-dir", str(copy_dir), str(sample))
    assert status == 0
    assert f"already described by version {minor}" in out
    assert schema_text(copy_dir) == text


def test_the_processor_with_the_updated_schemas_reports_no_drift(
    tmp_path: Path, copy_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    sample = write(tmp_path / "drifted.json", call_summary_with_three_new_fields())
    assert run(capsys, "update", "--schemas-dir", str(copy_dir), str(sample))[0] == 0
    records = records_of(encode(call_summary_with_three_new_fields()))
    (outcome,), text = run_batch(records, Settings(schema_dir=str(copy_dir)))
    assert outcome.status is Status.PROCESSED
    assert outcome.schema_version == schema_tools.bump(CALL_VERSION, major=False)
    assert outcome.new_fields == []
    assert "SCHEMA DRIFT" not in text


def test_update_keeps_a_changed_type_unless_allowed(
    tmp_path: Path, copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write(tmp_path / "conflict.json", conflicting())
    before = schema_text(copy_dir)
    status, out, _ = run(capsys, "update", "--schemas-dir", str(copy_dir), str(sample))
    assert status == 1  # something is left that only a person can decide
    assert "kept the type of detail.webRTCSession.metrics.mos.avg" in out
    assert "--allow-type-change" in out
    assert schema_text(copy_dir) == before
    assert (copy_dir / "CHANGELOG.md").read_text() == (
        ROOT / "schemas" / "CHANGELOG.md"
    ).read_text()

    status, out, _ = run(
        capsys, "update", "--allow-type-change", "--schemas-dir", str(copy_dir), str(sample)
    )
    assert status == 0
    major = schema_tools.bump(CALL_VERSION, major=True)
    assert f"version {CALL_VERSION} -> {major}" in out
    assert "changed from number to number|string (--allow-type-change)" in out
    assert "Stats.avg: float | None must accept number|string" in out
    after = schema_of(copy_dir)
    assert after["version"] == major
    mos = after["properties"]["webRTCSession"]["properties"]["metrics"]["properties"]["mos"]
    assert mos["properties"]["avg"]["type"] == ["number", "string"]
    assert "--allow-type-change" in (copy_dir / "CHANGELOG.md").read_text()
    assert run(capsys, "diff", "--schemas-dir", str(copy_dir), str(sample))[0] == 0
    # the model still reads a float: check says so, naming both sides
    status, out, _ = run(capsys, "check", "--schemas-dir", str(copy_dir))
    assert status == 1
    assert "detail.webRTCSession.metrics.mos.avg: Stats.avg is float" in out


def test_update_writes_nothing_when_input_is_unreadable(
    tmp_path: Path, copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write(tmp_path / "drifted.json", call_summary_with_three_new_fields())
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    before = schema_text(copy_dir)
    status, out, err = run(
        capsys, "update", "--schemas-dir", str(copy_dir), str(sample), str(broken)
    )
    assert status == 2
    assert str(broken) in err
    assert "nothing written" in out
    assert schema_text(copy_dir) == before


def test_new_fields_inside_array_items_and_new_arrays(
    tmp_path: Path, copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = source_event("InsightsSummary")
    for tag in event["detail"]["insights"]["tags"]:
        tag["severity"] = "high"
    event["detail"]["insights"]["sources"] = [{"name": "webrtc"}, {"name": "agent", "n": 2}]
    event["detail"]["insights"]["note"] = None
    sample = write(tmp_path / "insights.json", event)
    status, out, _ = run(capsys, "diff", "--schemas-dir", str(copy_dir), str(sample))
    assert status == 1
    assert "detail.insights.tags[].severity  string" in out
    assert "detail.insights.sources  array of object" in out
    assert "detail.insights.note  any  e.g. null" in out
    assert run(capsys, "update", "--schemas-dir", str(copy_dir), str(sample))[0] == 0
    insights = schema_of(copy_dir, "InsightsSummary")["properties"]["insights"]["properties"]
    assert insights["tags"]["items"]["properties"]["severity"]["type"] == "string"
    sources = insights["sources"]
    assert sources["type"] == "array"
    assert set(sources["items"]["properties"]) == {"name", "n"}
    assert "type" not in insights["note"]  # only null seen: no type guessed
    assert run(capsys, "diff", "--schemas-dir", str(copy_dir), str(sample))[0] == 0
    assert run(capsys, "check", "--schemas-dir", str(copy_dir))[0] == 0


# --- check ---------------------------------------------------------------------------------


def test_check_passes_on_the_project(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check")
    assert status == 0, out
    pending = [line for line in out.splitlines() if line.startswith("pending: ")]
    assert len(pending) == pending_markers()  # each property marked "x-model": false
    assert "fixture event(s) validated" in out


def test_check_fails_on_an_invalid_schema(
    copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = schema_of(copy_dir, "HeadsetSummary")
    document["properties"]["headset"]["type"] = "thing"
    write(copy_dir / "HeadsetSummary.json", document)
    status, out, _ = run(capsys, "check", "--schemas-dir", str(copy_dir))
    assert status == 1
    assert "HeadsetSummary.json: not a valid JSON Schema" in out


def test_check_fails_when_a_fixture_does_not_validate(
    copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = schema_of(copy_dir, "AgentReportedIssue")
    document["required"].append("mood")
    document["properties"]["mood"] = {"type": "string"}
    write(copy_dir / "AgentReportedIssue.json", document)
    status, out, _ = run(capsys, "check", "--schemas-dir", str(copy_dir))
    assert status == 1
    assert (
        "fixture events/source/AgentReportedIssue.json (AgentReportedIssue): detail: 'mood' is a "
        in out
    )
    # and the model lacks it, named with both names
    assert (
        "detail.mood: schema property has no model field (expected AgentReportedIssue.mood)" in out
    )


def test_check_names_both_sides_of_a_model_mismatch(
    copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = schema_of(copy_dir)
    inbound = document["properties"]["webRTCSession"]["properties"]["metrics"]["properties"][
        "inbound"
    ]
    inbound["properties"][NEW[0].key] = {"type": "number", "description": "x"}
    del inbound["properties"]["bytesReceived"]
    write(copy_dir / "CallSummary.json", document)
    status, out, _ = run(capsys, "check", "--schemas-dir", str(copy_dir))
    assert status == 1
    assert (
        f"CallSummary: {NEW[0].path}: schema property has no model field (expected "
        f"InboundAudio.{model_check.snake(NEW[0].key)})" in out
    )
    assert (
        "CallSummary: detail.webRTCSession.metrics.inbound.bytesReceived: model field "
        "InboundAudio.bytes_received has no schema property" in out
    )


def test_check_flags_a_stale_marker_and_an_unrequired_model_field(
    copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = schema_of(copy_dir)
    document["properties"]["billing"]["x-model"] = False
    document["properties"]["contact"]["required"] = []
    write(copy_dir / "CallSummary.json", document)
    status, out, _ = run(capsys, "check", "--schemas-dir", str(copy_dir))
    assert status == 1
    assert 'detail.billing: marked "x-model": false but read by CallSummary.billing' in out
    assert (
        "detail.contact.id: model field CallContact.id is required, the schema does not "
        "require it" in out
    )


def test_check_fails_on_a_schema_without_a_registry_entry(
    copy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(copy_dir / "UnregisteredSummary.json", {"type": "object", "version": "1.0.0"})
    status, out, _ = run(capsys, "check", "--schemas-dir", str(copy_dir))
    assert status == 1
    assert "UnregisteredSummary.json: no entry for UnregisteredSummary" in out


# --- small parts ---------------------------------------------------------------------------


def test_version_bumps() -> None:
    assert schema_tools.bump("1.0.0", major=False) == "1.1.0"
    assert schema_tools.bump("1.4.2", major=False) == "1.5.0"
    assert schema_tools.bump("1.4.2", major=True) == "2.0.0"
    assert schema_tools.bump("3", major=False) == "3.1.0"


def test_names_for_models() -> None:
    assert model_check.snake("webRTCSession") == "web_rtc_session"
    assert model_check.snake("packetsLostPercentage") == "packets_lost_percentage"
    assert model_check.snake("memoryGb") == "memory_gb"
    assert model_check.pascal("jitterBufferMils") == "JitterBufferMils"
    line = model_check._field_line("webRTCSession", "str")
    assert 'metadata=config(field_name="webRTCSession")' in line


def test_inferred_schemas() -> None:
    assert schema_tools.infer([1, 2.5]) == {
        "description": "TODO: describe",
        "examples": [1],
        "type": "number",
    }
    mixed = schema_tools.infer(["a", None])
    assert mixed["type"] == ["null", "string"]
    assert schema_tools.infer([[]]) == {
        "description": "TODO: describe",
        "examples": [[]],
        "type": "array",
    }


def test_diff_names_an_unreadable_schema_once(tmp_path: Path) -> None:
    schemas_copy = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas_copy)
    (schemas_copy / "CallSummary.json").write_text("{ not json")
    samples = tmp_path / "samples"
    samples.mkdir()
    for n in range(2):
        (samples / f"call-{n}.json").write_text(json.dumps(source_event("CallSummary")))
    out = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["schemas", "diff", str(samples), "--schemas-dir", str(schemas_copy)])
    assert status == 2
    text = out.getvalue() + err.getvalue()
    assert text.count("cannot read the schema") == 1
    assert "no schema" not in text
