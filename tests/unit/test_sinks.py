"""The two kinds of sink failure: a sink that cannot take a record (I/O) fails it for retry;
code that fails on a record rejects it into the quarantine."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.batch import batch_item_failures
from tests.helpers import encode, kept_entry, records_of, run_batch, source_event


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
    outcomes = app.run(records, settings, stream=broken_pipe, container=app.Container())
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
