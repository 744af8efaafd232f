"""The Lambda handler on good, mixed and hostile batches: it never raises, names every record."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

import handler
from operata.fixtures import TYPE_WITHOUT_SCHEMA, kinesis_event
from operata_lambda import app
from tests.helpers import EVENTS, encode, source_event


class Context:
    def __init__(self, remaining_ms: list[int]) -> None:
        self.remaining = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0]


@pytest.fixture(autouse=True)
def local_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["QUARANTINE_BUCKET", "LOG_LEVEL", "REDACT_PII", "DEADLINE_MARGIN_MS"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOG_FORMAT", "text")


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def test_mixed_batch_is_processed_with_no_failures(capsys: pytest.CaptureFixture[str]) -> None:
    event = load("mixed-batch")
    assert handler.handler(event, None) == {"batchItemFailures": []}
    out = capsys.readouterr().out
    assert out.count("Operata Event Received") == len(event["Records"])


def test_bad_records_batch_names_every_bad_record(capsys: pytest.CaptureFixture[str]) -> None:
    event = load("bad-records")
    assert handler.handler(event, Context([60_000])) == {"batchItemFailures": []}
    lines = capsys.readouterr().out.splitlines()
    seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    expected = {
        seqs[1]: "REJECTED",  # not base64
        seqs[2]: "REJECTED",  # not UTF-8
        seqs[3]: "REJECTED",  # not JSON
        seqs[4]: "REJECTED",  # a JSON array
        seqs[5]: "REJECTED",  # wrong type in detail
        seqs[6]: "REJECTED",  # no detail
        seqs[7]: "SKIPPED",  # spoofed source
    }
    for seq, label in expected.items():
        named = [line for line in lines if line.startswith(f"{label} seq={seq} ")]
        assert len(named) == 1, (seq, label)
    reasons = [
        line.split("reason=")[1].split(":")[0] for line in lines if line.startswith("REJECTED")
    ]
    assert reasons == [
        "not_base64",
        "not_utf8",
        "not_json",
        "not_eventbridge",
        "schema_invalid",
        "not_eventbridge",
    ]
    assert any(
        "reason=schema_invalid: Error parsing event: detail.webRTCSession.metrics.mos.avg: "
        "'high' is not of type 'number' (rule: type)" in line
        for line in lines
    )
    spoofed = next(line for line in lines if line.startswith("SKIPPED"))
    assert "source=aws.partner/operata.comx/spoofed/bus" in spoofed
    assert "partition_key=" in spoofed
    text = "\n".join(lines)
    assert text.count("Operata Event Received") == 3  # two good records and the unknown type
    assert f"Event Type: {TYPE_WITHOUT_SCHEMA}" in text
    assert sum("(kept in " in line for line in lines if line.startswith("REJECTED")) == 6


@pytest.mark.parametrize(
    ("event", "rejected"),
    [
        ({"Records": []}, 0),
        ({"Records": [None, 5, "x", {}, {"kinesis": {}}]}, 5),
        ({"Records": [{"kinesis": {"data": None, "sequenceNumber": 7}}]}, 1),
    ],
)
def test_malformed_records_never_raise(
    event: Any, rejected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert handler.handler(event, None) == {"batchItemFailures": []}
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("REJECTED ") for line in lines) == rejected
    assert sum("(kept in " in line for line in lines) == rejected
    batch = json.loads(lines[-1])  # the batch's metrics document comes last
    assert batch["Records"] == rejected


def test_hostile_payloads_each_get_one_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    call = source_event("CallSummary")
    nan = json.dumps(call).replace('"avg": 4.25', '"avg": NaN').encode()
    huge = json.dumps(call).replace('"avg": 4.25', '"avg": 1e400').encode()
    no_id = dict(call)
    del no_id["id"]
    wrong_time = {**call, "time": "yesterday"}
    detail_list = {**call, "detail": []}
    no_contact = {**call, "detail": {"timestamp": "x"}}
    payloads = [
        nan,
        huge,
        b"[" * 100_000 + b"]" * 100_000,
        encode(no_id),
        encode(wrong_time),
        encode(detail_list),
        encode(no_contact),
        b"x" * (1024 * 1024),
        encode(call),
    ]
    response = handler.handler(kinesis_event(payloads), None)
    assert response == {"batchItemFailures": []}
    out = capsys.readouterr().out
    assert out.count("REJECTED seq=") == len(payloads) - 1
    assert out.count("Event Type: Call Summary") == 1
    assert "detail: [] is not of type 'object'" in out
    assert "detail: 'contact' is a required property" in out
    assert "time: 'yesterday' is not an RFC 3339 timestamp" in out


def test_unknown_operata_type_is_shown_not_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    event = kinesis_event([encode(source_event(TYPE_WITHOUT_SCHEMA))])
    assert handler.handler(event, None) == {"batchItemFailures": []}
    out = capsys.readouterr().out
    assert f"Event Type: {TYPE_WITHOUT_SCHEMA}" in out
    for name, value in source_event(TYPE_WITHOUT_SCHEMA)["detail"].items():
        assert f'"{name}": {json.dumps(value)}' in out


def test_out_of_time_reports_the_rest_as_failures(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEADLINE_MARGIN_MS", "1000")
    event = load("mixed-batch")
    seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    # Plenty of time for two records, then too little.
    response = handler.handler(event, Context([60_000, 60_000, 500]))
    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in seqs[2:]]}
    out = capsys.readouterr().out
    assert out.count("Operata Event Received") == 2
    assert out.count("reason=deadline") == len(seqs) - 2


def test_not_base64_is_rejected_with_its_record(capsys: pytest.CaptureFixture[str]) -> None:
    event = kinesis_event([b"{}"])
    event["Records"][0]["kinesis"]["data"] = "@@@"
    assert handler.handler(event, None) == {"batchItemFailures": []}
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("REJECTED")]
    assert "reason=not_base64: Error parsing event: " in line
    kept = Path(line.rsplit("(kept in ", 1)[1].rstrip(")"))
    entry = json.loads(kept.read_text())
    assert entry["data"] == "@@@"
    assert entry["reason"] == "not_base64"


def test_the_collector_is_paused_for_the_batch_and_restored_after_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[bool] = []
    stream = app.stream

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        yield from stream(*args, **kwargs)

    monkeypatch.setattr(app, "stream", watched)
    assert gc.isenabled()
    assert handler.handler(load("mixed-batch"), None) == {"batchItemFailures": []}
    assert seen == [False]
    assert gc.isenabled()


def test_the_collector_is_restored_when_the_batch_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("stdout is gone")

    monkeypatch.setattr(app, "stream", broken)
    with pytest.raises(OSError):
        handler.handler(load("mixed-batch"), None)
    assert gc.isenabled()


def test_a_paused_collector_is_left_paused() -> None:
    gc.disable()
    try:
        with app.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the caller's choice, not ours to undo
    finally:
        gc.enable()
