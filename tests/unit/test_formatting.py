"""Each fixture renders to exactly the text in tests/expected/ (reviewed by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from operata_lambda.config import Settings
from operata_lambda.events.common import Envelope
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.events.text import header, num
from operata_lambda.pipeline.outcomes import Status
from tests.helpers import EVENTS, ROOT, SOURCES, encode, records_of, run_batch, source_event

EXPECTED = ROOT / "tests" / "expected"
NAMES = sorted(p.stem for p in SOURCES.glob("*.json"))


def rendered(name: str) -> str:
    outcomes, text = run_batch(records_of(encode(source_event(name))), Settings(log_format="text"))
    assert [o.status for o in outcomes] == [Status.PROCESSED]
    batch, text = text.split("\n", 1)
    assert batch.startswith("Processing 1 Kinesis records")
    block_text = text.split('\n{"_aws"')[0]  # the EMF documents follow the block
    trace, block = block_text.split("\n", 1)
    assert trace.startswith("PROCESSED seq=") and " event_id=" in trace
    return block


def test_every_source_fixture_has_an_expected_rendering() -> None:
    assert sorted(p.stem for p in EXPECTED.glob("*.txt")) == NAMES
    assert len(NAMES) >= 9


@pytest.mark.parametrize("name", NAMES)
def test_rendering_matches_the_expected_text(name: str) -> None:
    assert rendered(name) + "\n" == (EXPECTED / f"{name}.txt").read_text(encoding="utf-8")


def test_the_documented_call_summary_block() -> None:
    """The block format from the README, with the values of its example."""
    event = source_event("CallSummary-excellent")
    text = rendered("CallSummary-excellent")
    assert text.startswith("=" * 42 + "\nOperata Event Received\n" + "=" * 42 + "\n")
    assert f"Event ID: {event['id']}\nEvent Type: Call Summary\n" in text
    assert "Time: 2023-06-02 23:45:10 UTC\n" + "-" * 42 + "\nCall Summary Details:\n" in text
    assert "  Duration: 180 seconds (Medium)\n  Talk Time: 150 seconds\n" in text
    assert "    MOS Score: 4.5 (Excellent)\n  ✅ Overall Quality: Excellent\n" in text
    assert text.endswith("=" * 42)


def test_time_is_shown_in_utc() -> None:
    envelope = Envelope(id="x", time=datetime.fromisoformat("2025-07-22T20:30:45+10:00"))
    assert "Time: 2025-07-22 10:30:45 UTC" in header(envelope, "T")
    assert datetime.fromisoformat("2025-07-22T20:30:45+10:00").astimezone(UTC).hour == 10


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "n/a"),
        (180, "180"),
        (180.0, "180"),
        (4.5, "4.5"),
        (0.05, "0.05"),
        (1.23456, "1.2346"),
        (10**400, "1" + "0" * 400),  # valid JSON, too large for a float
    ],
)
def test_numbers_read_as_people_write_them(value: float | None, text: str) -> None:
    assert num(value) == text


def test_mixed_batch_fixture_shows_a_block_for_each_type() -> None:
    import json

    from operata_lambda.pipeline.kinesis import KinesisRecord

    event = json.loads((EVENTS / "mixed-batch.json").read_text())
    records = [KinesisRecord.from_lambda(r) for r in event["Records"]]
    outcomes, text = run_batch(records, Settings(log_format="text"))
    assert all(o.status is Status.PROCESSED for o in outcomes)
    for event_type in EVENT_TYPES.values():
        assert f"Event Type: {event_type.title}\n" in text
    assert text.count("Operata Event Received") == len(records)
