"""The sink contract (sinks/base.py): a sink that cannot keep a record (I/O, at once or at
flush) fails it for retry; code that fails on a record rejects it into the quarantine, once;
the order of the sinks changes nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.batch import batch_item_failures
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import Sink, Sinks, SinkUnavailable, Write, nothing
from operata_lambda.sinks.metrics import EmfMetrics
from tests.helpers import EVENTS, encode, kept_entry, records_of, run_batch, source_event


@pytest.fixture
def broken_pipe() -> Iterator[io.TextIOWrapper]:
    """A real stream whose reader has gone: every write raises BrokenPipeError."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w", buffering=1)
    yield stream
    with contextlib.suppress(OSError):
        stream.close()


def test_a_report_that_cannot_write_fails_the_records_for_retry(
    broken_pipe: io.TextIOWrapper, tmp_path: Path
) -> None:
    records = records_of(encode(source_event("CallSummary")), b"not json")
    settings = Settings(quarantine_dir=str(tmp_path))
    sinks = app.build_sinks(settings, stream=broken_pipe, container=app.Container())
    outcomes = app.run(records, settings, sinks)
    assert [(o.status.value, o.reason) for o in outcomes] == [
        ("failed", "report_unavailable"),
        ("failed", "after_failure"),
    ]
    assert batch_item_failures(outcomes) == [{"itemIdentifier": r.sequence_number} for r in records]
    assert not list(tmp_path.rglob("*.json"))  # nothing quarantined: they will be retried


def test_a_rendering_bug_rejects_the_record_into_the_quarantine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(detail: object) -> list[str]:
        raise KeyError("a field the renderer expected")

    for name, event_type in EVENT_TYPES.items():
        monkeypatch.setitem(EVENT_TYPES, name, dataclasses.replace(event_type, render=broken))
    records = records_of(encode(source_event("CallSummary")), encode(source_event("CallSummary")))
    outcomes, text = run_batch(records)
    assert [(o.status.value, o.reason) for o in outcomes] == [("rejected", "processing_error")] * 2
    assert text.count("Error processing event: rendering failed: KeyError") == 2
    assert "Operata Event Received" not in text  # no half-written block
    for outcome in outcomes:
        entry = kept_entry(outcome)
        assert entry["reason"] == "processing_error"
        assert entry["sequenceNumber"] == outcome.record.sequence_number
    assert batch_item_failures(outcomes) == []


# --- the sink contract (sinks/base.py) -------------------------------------------------------


class BatchSink:
    """A sink that holds the processed records it takes and sends them at flush, the way a
    batch put does; `durable` of them get through, the rest do not."""

    name = "batch"
    fails_records = True

    def __init__(self, durable: int | None = None) -> None:
        self.durable = durable  # None: every one gets through
        self.held: list[KinesisRecord] = []
        self.sent: list[KinesisRecord] = []

    def begin(self, count: int) -> None:
        self.held = []

    def take(self, outcome: Outcome) -> Write:
        if outcome.status is not Status.PROCESSED:
            return nothing
        return lambda: self.held.append(outcome.record)

    def flush(self) -> None:
        held, self.held = self.held, []
        cut = len(held) if self.durable is None else self.durable
        self.sent += held[:cut]
        if held[cut:]:
            raise SinkUnavailable(self.name, OSError("the batch put failed"), held[cut:])


def batch_records() -> list[KinesisRecord]:
    """Every sample of events/mixed-batch.json, then every bad record of events/bad-records.json,
    numbered in order as one shard would number them."""
    records = []
    for name in ["mixed-batch", "bad-records"]:
        event = json.loads((EVENTS / f"{name}.json").read_text())
        records += [KinesisRecord.from_lambda(r) for r in event["Records"]]
    return [
        dataclasses.replace(record, sequence_number=f"{index:056d}")
        for index, record in enumerate(records, 1)
    ]


def run_with(
    records: list[KinesisRecord],
    extra: tuple[Sink, ...],
    settings: Settings,
    order: Callable[[tuple[Sink, ...]], tuple[Sink, ...]] = lambda outputs: outputs,
) -> tuple[list[Outcome], str]:
    """The function's own sinks plus `extra`, the outputs in `order`; final outcomes, text."""
    out = io.StringIO()
    sinks = app.build_sinks(settings, stream=out, container=app.Container())
    sinks = Sinks(sinks.quarantine, order(sinks.outputs + extra))
    return app.run(records, settings, sinks), out.getvalue()


def emf_batch_document(text: str) -> dict[str, Any]:
    docs = [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]
    return dict(docs[-1])


def test_a_batch_sink_whose_flush_fails_fails_its_records_for_retry_and_loses_none(
    tmp_path: Path,
) -> None:
    records = batch_records()
    settings = Settings(quarantine_dir=str(tmp_path))
    first_pass, _ = run_with(records, (BatchSink(),), settings)
    processed = [o.record for o in first_pass if o.status is Status.PROCESSED]
    assert len(processed) >= 3, "the samples hold several processed records"
    sink = BatchSink(durable=1)  # the first processed record gets through, no other
    outcomes, text = run_with(records, (sink,), settings)

    lost_from = records.index(processed[1])
    assert [o.record for o in outcomes] == records  # one final outcome each, in order
    for before, after in zip(first_pass[:lost_from], outcomes[:lost_from], strict=True):
        assert (after.status, after.reason) == (before.status, before.reason)
    assert {(o.status, o.reason) for o in outcomes[lost_from:]} == {
        (Status.FAILED, "batch_unavailable")
    }
    failed = batch_item_failures(outcomes)
    assert failed == [{"itemIdentifier": r.sequence_number} for r in records[lost_from:]]
    # Nothing lost: each record got through, is kept in the quarantine, was skipped, or is
    # retried.
    assert sink.sent == processed[:1]
    kept = {json.loads(p.read_text())["sequenceNumber"] for p in tmp_path.rglob("*.json")}
    for outcome in outcomes:
        seq = outcome.record.sequence_number
        assert (
            outcome.record in sink.sent
            or seq in kept
            or outcome.status in (Status.SKIPPED, Status.FAILED)
        ), outcome
    # Each failed record's line follows the lines written for it, and names the sink.
    lines = text.splitlines()
    for record in records[lost_from:]:
        failed_line = f"FAILED seq={record.sequence_number} "
        at = next(i for i, line in enumerate(lines) if line.startswith(failed_line))
        assert "reason=batch_unavailable: batch unavailable (OSError" in lines[at]
        assert any(f"seq={record.sequence_number} " in line for line in lines[:at])
    # The metrics count the final outcomes.
    batch = emf_batch_document(text)
    assert batch["Records"] == len(records)
    assert batch["RecordsFailed"] == len(records) - lost_from
    assert batch["RecordsProcessed"] == sum(o.status is Status.PROCESSED for o in outcomes)
    assert batch["RecordsRejected"] == sum(o.status is Status.REJECTED for o in outcomes)


def test_a_flush_that_loses_nothing_fails_nothing(tmp_path: Path) -> None:
    records = batch_records()
    sink = BatchSink()
    outcomes, _ = run_with(records, (sink,), Settings(quarantine_dir=str(tmp_path)))
    assert batch_item_failures(outcomes) == []
    assert sink.sent == [o.record for o in outcomes if o.status is Status.PROCESSED]


def broken_measure(summary: dict[str, Any]) -> dict[str, float]:
    raise ZeroDivisionError("a bug in a type's metrics")


def with_broken_metrics(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every type with metrics of its own gets a measure that raises; their names."""
    broken = []
    for name, event_type in EVENT_TYPES.items():
        if event_type.metrics is not None:
            metrics = dataclasses.replace(event_type.metrics, measure=broken_measure)
            monkeypatch.setitem(EVENT_TYPES, name, dataclasses.replace(event_type, metrics=metrics))
            broken.append(name)
    assert broken, "a type measures metrics of its own"
    return broken


def test_a_bug_in_a_types_metrics_rejects_the_record_once_in_every_sink(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = with_broken_metrics(monkeypatch)
    event = source_event(broken[0])
    records = records_of(encode(event), encode(event))
    sink = BatchSink()
    outcomes, text = run_with(records, (sink,), Settings(quarantine_dir=str(tmp_path)))
    assert [(o.status, o.reason) for o in outcomes] == [(Status.REJECTED, "processing_error")] * 2
    assert len(list(tmp_path.rglob("*.json"))) == 2  # each kept once
    assert sink.sent == []  # nothing written for the processed outcome that never was
    assert "Operata Event Received" not in text
    assert text.count("Error processing event: rendering failed: ZeroDivisionError") == 2
    batch = emf_batch_document(text)
    assert (batch["Records"], batch["RecordsRejected"], batch["RecordsProcessed"]) == (2, 2, 0)


def test_where_the_quarantine_kept_a_record_reaches_the_report_through_the_loop() -> None:
    class InMemory:
        """A quarantine that says where it kept a record and writes nothing on the outcome."""

        name = "quarantine"

        def keep(self, outcome: Outcome) -> str:
            return f"memory:{outcome.record.sequence_number}" if outcome.reason else ""

    (record,) = records_of(b"not json")
    for log_format in ["text", "json"]:
        out = io.StringIO()
        settings = Settings(log_format=log_format)
        sinks = app.build_sinks(
            settings, stream=out, container=app.Container(), quarantine=InMemory()
        )
        (outcome,) = app.run([record], settings, sinks)
        where = f"memory:{record.sequence_number}"
        assert outcome.kept_at == where
        line = next(line for line in out.getvalue().splitlines() if "not_json" in line)
        if log_format == "json":
            assert json.loads(line)["keptAt"] == where
        else:
            assert line.endswith(f"(kept in {where})")


def test_a_metrics_sink_that_cannot_write_changes_no_outcome(
    broken_pipe: io.TextIOWrapper, tmp_path: Path
) -> None:
    records = batch_records()
    settings = Settings(quarantine_dir=str(tmp_path))
    expected, _ = run_with(records, (), settings)
    out = io.StringIO()
    sinks = app.build_sinks(settings, stream=out, container=app.Container(), metrics=False)
    sinks = Sinks(sinks.quarantine, (*sinks.outputs, EmfMetrics(settings, broken_pipe)))
    outcomes = app.run(records, settings, sinks)
    assert [(o.status, o.reason) for o in outcomes] == [(o.status, o.reason) for o in expected]
    assert batch_item_failures(outcomes) == []


def without_timestamps(text: str) -> str:
    """The text, with each EMF document's timestamp (the clock's) left out."""
    lines = []
    for line in text.splitlines():
        if line.startswith('{"_aws"'):
            doc = json.loads(line)
            del doc["_aws"]["Timestamp"]
            line = json.dumps(doc)
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("durable", [None, 2], ids=["flush-ok", "flush-fails"])
@pytest.mark.parametrize("metrics_bug", [False, True], ids=["metrics-ok", "metrics-bug"])
def test_the_order_of_the_sinks_changes_no_outcome_and_no_line(
    log_format: str,
    durable: int | None,
    metrics_bug: bool,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if metrics_bug:
        with_broken_metrics(monkeypatch)
    records = batch_records()
    settings = Settings(quarantine_dir=str(tmp_path), log_format=log_format)
    seen = set()
    for order in itertools.permutations(range(3)):

        def reorder(outputs: tuple[Sink, ...], order: tuple[int, ...] = order) -> tuple[Sink, ...]:
            return tuple(outputs[i] for i in order)

        outcomes, text = run_with(records, (BatchSink(durable),), settings, reorder)
        seen.add(
            (
                tuple((o.status, o.reason, o.message, o.kept_at) for o in outcomes),
                without_timestamps(text),
            )
        )
    assert len(seen) == 1


def test_a_flush_that_fails_on_a_bug_fails_every_record_it_may_have_held(tmp_path: Path) -> None:
    class BuggyBatchSink(BatchSink):
        def flush(self) -> None:
            raise KeyError("a bug in the batch put")

    records = batch_records()
    outcomes, text = run_with(records, (BuggyBatchSink(),), Settings(quarantine_dir=str(tmp_path)))
    assert {(o.status, o.reason) for o in outcomes} == {(Status.FAILED, "processing_error")}
    assert batch_item_failures(outcomes) == [{"itemIdentifier": r.sequence_number} for r in records]
    assert text.count("reason=processing_error: 'a bug in the batch put'") == len(records)


def test_a_record_already_failed_is_not_failed_again_by_a_flush(tmp_path: Path) -> None:
    records = batch_records()
    settings = Settings(quarantine_dir=str(tmp_path), deadline_margin_ms=1)
    first_pass, _ = run_with(records, (), settings)
    processed = [i for i, o in enumerate(first_pass) if o.status is Status.PROCESSED]
    stop = processed[2]  # the deadline comes before the third processed record
    asked = iter(range(len(records)))

    def time_left_ms() -> int:
        return 0 if next(asked) >= stop else 1000

    out = io.StringIO()
    sinks = app.build_sinks(settings, stream=out, container=app.Container())
    sinks = Sinks(sinks.quarantine, (*sinks.outputs, BatchSink(durable=1)))
    streamed = list(app.stream(records, settings, sinks, time_left_ms=time_left_ms))
    failures = batch_item_failures(streamed)  # what the handler answers
    assert failures == [
        {"itemIdentifier": r.sequence_number} for r in records[stop:] + records[processed[1] : stop]
    ]
    reasons = {o.record.sequence_number: o.reason for o in streamed if o.status is Status.FAILED}
    assert {reasons[r.sequence_number] for r in records[stop:]} == {"deadline"}
    assert {reasons[r.sequence_number] for r in records[processed[1] : stop]} == {
        "batch_unavailable"
    }
