"""Record metadata of any shape (arrival timestamps, sequence numbers, event ids, partition
keys) gives that record its own outcome, and the quarantine names it with safe characters only:
deterministic, one-to-one, never outside QUARANTINE_DIR or the bucket's prefix."""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handler
from operata.fixtures import kinesis_event
from operata_lambda.pipeline.kinesis import LATEST_ARRIVAL, KinesisRecord, arrival_time
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.quarantine import entry, key_for, safe_name
from tests.helpers import encode, source_event

ODD_NUMBERS = [1e20, math.nan, math.inf, -math.inf, 10**400, -1, LATEST_ARRIVAL + 1]
ODD_VALUES = [*ODD_NUMBERS, "1685595613", None, True, [1], {"a": 1}]
ODD_TEXT = ["../../etc/passwd", "..", ".", "/", "a/b", "shard\\0", "\x00", "", " ", "~x", "é"]

metadata = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.text(max_size=300),
)
identifiers = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=300), st.integers())


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_an_arrival_time_no_date_can_be_made_of_is_none(value: Any) -> None:
    assert arrival_time(value) is None


def test_an_arrival_time_of_a_date_is_kept() -> None:
    assert arrival_time(1685595613.5) == 1685595613.5
    assert arrival_time(1685595613) == 1685595613.0


def _raw(index: int, data: str, arrival: Any, sequence: Any, event_id: Any, key: Any) -> Any:
    return {
        "eventID": event_id if index % 2 else f"shardId-000000000000:{sequence}",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/operata",
        "kinesis": {
            "data": data,
            "sequenceNumber": sequence,
            "partitionKey": key,
            "approximateArrivalTimestamp": arrival,
        },
    }


def _sequence(row: tuple[Any, ...]) -> str:
    return KinesisRecord.from_lambda(_raw(0, "", None, row[1], None, None)).sequence_number


# A shard's sequence numbers are unique: so are those generated here (after reading).
rows_of_metadata = st.lists(
    st.tuples(metadata, identifiers, identifiers, identifiers),
    min_size=1,
    max_size=6,
    unique_by=_sequence,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_of_metadata)
def test_odd_metadata_costs_nothing_but_its_own_record(
    rows: list[tuple[Any, Any, Any, Any]],
    fresh_container: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    quarantine = tmp_path / f"q{len(list(tmp_path.iterdir()))}"
    monkeypatch.setenv("QUARANTINE_DIR", str(quarantine))
    good = kinesis_event([encode(source_event("CallSummary"))])["Records"][0]
    records: list[Any] = []
    for index, (arrival, sequence, event_id, key) in enumerate(rows):
        records.append(good)  # a good record between the odd ones
        records.append(_raw(index, "bm90IGpzb24=", arrival, sequence, event_id, key))  # not JSON
    response = handler.handler({"Records": records}, None)
    output = capsys.readouterr().out
    assert output.count("PROCESSED seq=") == len(rows)
    assert output.count("REJECTED seq=") == len(rows)
    failed = response["batchItemFailures"]
    assert failed == [], failed  # no record failed: each odd one was rejected on its own
    kept = [p for p in quarantine.rglob("*") if p.is_file()]
    for path in kept:
        assert path.resolve().is_relative_to(quarantine.resolve())
        assert json.loads(path.read_text())["reason"] == "not_json"
    assert len(kept) == len(rows)  # one entry per record, none shared


@given(st.text(max_size=500), st.text(max_size=500))
def test_safe_names_are_one_to_one_and_plain(a: str, b: str) -> None:
    for text in (a, b):
        name = safe_name(text)
        assert name not in {"", ".", ".."} and "/" not in name and "\\" not in name
        assert name.isascii() and name.isprintable() and len(name) <= 100
    assert (safe_name(a) == safe_name(b)) == (a == b)


@given(metadata, identifiers, identifiers, identifiers, st.sampled_from(["not_json", "x/../y"]))
def test_keys_stay_under_the_prefix_and_redrive_finds_them(
    arrival: Any, sequence: Any, event_id: Any, key: Any, reason: str
) -> None:
    record = KinesisRecord.from_lambda(_raw(1, "e30=", arrival, sequence, event_id, key))
    outcome = Outcome(record, Status.REJECTED, reason, "why")
    where = key_for("quarantine/", outcome)
    parts = PurePosixPath(where).parts
    assert parts[0] == "quarantine" and ".." not in parts and "." not in parts
    assert where == key_for("quarantine/", outcome)  # a retry overwrites its own entry
    document = json.loads(json.dumps(entry(outcome), allow_nan=False))
    again = Outcome(KinesisRecord.from_entry(document), Status.REJECTED, reason, "why")
    assert key_for("quarantine/", again) == where  # redrive computes the same key


def test_two_records_without_sequence_numbers_do_not_share_a_key() -> None:
    first = KinesisRecord.from_lambda(_raw(1, "e30=", None, None, None, "a"))
    second = KinesisRecord.from_lambda(_raw(1, "e31=", None, None, None, "a"))
    keys = {key_for("", Outcome(r, Status.REJECTED, "not_json")) for r in (first, second)}
    assert len(keys) == 2
