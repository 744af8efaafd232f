"""Outcomes, the quarantine and the deadline; the quarantine writes to a real S3 API (moto)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import handler as lambda_handler
from operata.fixtures import kinesis_event
from operata_lambda.pipeline.batch import batch_item_failures, process
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import Sinks, Write
from operata_lambda.sinks.quarantine import S3Quarantine, entry, key_for
from operata_lambda.validation.schemas import schema_set
from tests.helpers import b64, encode, record_with_data, records_of, source_event


class Bucket:
    """A fresh bucket on the moto server, versioned so that every write can be counted."""

    def __init__(self, endpoint: str, name: str, create: bool = True) -> None:
        import boto3

        self.name = name
        self.client = boto3.client("s3", endpoint_url=endpoint)
        if create:
            self.create()

    def create(self) -> None:
        self.client.create_bucket(Bucket=self.name)
        self.client.put_bucket_versioning(
            Bucket=self.name, VersioningConfiguration={"Status": "Enabled"}
        )

    @property
    def objects(self) -> dict[str, bytes]:
        listed = self.client.list_objects_v2(Bucket=self.name).get("Contents", [])
        return {
            o["Key"]: self.client.get_object(Bucket=self.name, Key=o["Key"])["Body"].read()
            for o in listed
        }

    @property
    def writes(self) -> int:
        return len(self.client.list_object_versions(Bucket=self.name).get("Versions", []))

    def quarantine(self, prefix: str = "quarantine/") -> S3Quarantine:
        return S3Quarantine(self.name, prefix, client=self.client)


_buckets = iter(range(1_000_000))


@pytest.fixture
def bucket(aws_endpoint: str) -> Bucket:
    return Bucket(aws_endpoint, f"quarantine-test-{next(_buckets)}")


@pytest.fixture
def missing_bucket(aws_endpoint: str) -> Bucket:
    """A bucket that does not exist until the test creates it: writes to it really fail."""
    return Bucket(aws_endpoint, f"quarantine-later-{next(_buckets)}", create=False)


def run_sinks(records: list[KinesisRecord], quarantine: S3Quarantine) -> list[Outcome]:
    """The batch loop alone with this quarantine and a silent report, every outcome kept."""
    return list(process(records, Sinks(quarantine, (SilentReporter(),)), schema_set()))


class SilentReporter:
    """A report sink that keeps the outcomes it is given instead of writing them."""

    name = "report"
    fails_records = True

    def __init__(self) -> None:
        self.seen: list[Outcome] = []

    def begin(self, count: int) -> None:
        pass

    def take(self, outcome: Outcome) -> Write:
        return lambda: self.seen.append(outcome)

    def flush(self) -> None:
        pass


def _bad_call_summary() -> bytes:
    event = source_event("CallSummary")
    event["id"] = "bad-duration-1"
    event["detail"]["billing"]["durationRoundedMin"] = "three"
    return encode(event)


def _good(event_id: str) -> bytes:
    event = source_event("CallSummary")
    event["id"] = event_id
    return encode(event)


@pytest.fixture(autouse=True)
def _no_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("QUARANTINE_BUCKET", raising=False)
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    yield


# --- not_base64: cannot go through the Kinesis API, so a hand-made Lambda event -----------


def test_not_base64_is_quarantined_with_the_data_exactly_as_delivered(bucket: Bucket) -> None:
    event = kinesis_event([b"placeholder"])
    event["Records"][0]["kinesis"]["data"] = "not base64 at all!*"
    record = KinesisRecord.from_lambda(event["Records"][0])
    outcomes = run_sinks([record], bucket.quarantine())
    assert [(o.status, o.reason) for o in outcomes] == [(Status.REJECTED, "not_base64")]
    ((key, body),) = bucket.objects.items()
    assert key == (
        f"quarantine/not_base64/2023/06/01/shardId-000000000000/{record.sequence_number}.json"
    )
    document = json.loads(body)
    assert document["data"] == "not base64 at all!*"
    assert document["reason"] == "not_base64"
    assert document["streamArn"] == record.stream_arn
    assert document["shardId"] == "shardId-000000000000"
    assert document["sequenceNumber"] == record.sequence_number
    assert document["partitionKey"] == "pk-0"
    assert document["approximateArrivalTimestamp"] == record.arrival_time
    assert document["arrivalTime"].startswith("2023-06-01T")
    assert batch_item_failures(outcomes) == []


def test_handler_not_base64_without_bucket_is_one_line_and_one_local_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QUARANTINE_DIR", str(tmp_path))
    event = kinesis_event([b"placeholder"])
    event["Records"][0]["kinesis"]["data"] = "%%%"
    assert lambda_handler.handler(event, None) == {"batchItemFailures": []}
    lines = [
        line for line in capsys.readouterr().out.splitlines() if "%%%" in line or "kept" in line
    ]
    assert len(lines) == 1 and "%%%" not in lines[0]  # no raw data in the report
    (path,) = tmp_path.rglob("*.json")
    assert lines[0].endswith(f"(kept in {path})")
    assert path.relative_to(tmp_path).parts[0] == "not_base64"
    document = json.loads(path.read_text())
    assert document["reason"] == "not_base64"
    assert document["data"] == "%%%"


# --- the entry -------------------------------------------------------------------------


def test_schema_invalid_entry_names_path_rule_value_and_schema_version(bucket: Bucket) -> None:
    (record,) = records_of(_bad_call_summary())
    run_sinks([record], bucket.quarantine("q/"))
    ((key, body),) = bucket.objects.items()
    assert key.startswith("q/schema_invalid/2023/06/01/shardId-000000000000/")
    document = json.loads(body)
    assert document["error"]["path"] == "detail.billing.durationRoundedMin"
    assert document["error"]["rule"] == "type"
    assert document["error"]["value"] == "three"
    assert document["schemaVersion"]
    assert document["eventId"] == "bad-duration-1"
    assert document["detailType"] == "CallSummary"
    assert base64.b64decode(document["data"]) == _bad_call_summary()


def test_a_retried_rejection_overwrites_its_entry(bucket: Bucket) -> None:
    (record,) = records_of(_bad_call_summary())
    for _ in range(3):
        run_sinks([record], bucket.quarantine())
    assert bucket.writes == 3
    assert len(bucket.objects) == 1


def test_an_entry_gives_back_its_record() -> None:
    (record,) = records_of(_bad_call_summary())
    outcome = Outcome(record, Status.REJECTED, "schema_invalid")
    assert KinesisRecord.from_entry(json.loads(json.dumps(entry(outcome)))) == record


def test_key_without_arrival_or_sequence_is_still_a_key() -> None:
    record = KinesisRecord("", "", "eA==", "", "", None)
    key = key_for("quarantine/", Outcome(record, Status.REJECTED, "not_json"))
    assert key.startswith("quarantine/not_json/unknown-date/unknown-shard/~")  # a digest
    assert key.endswith(".json") and key.count("/") == 4


# --- quarantine unavailable -----------------------------------------------------------------


def test_quarantine_failure_fails_that_record_and_the_rest(missing_bucket: Bucket) -> None:
    records = records_of(_good("g-1"), b"[1]", _good("g-2"), b"null", _good("g-3"))
    # the bucket does not exist yet: the first rejected record cannot be written
    outcomes = run_sinks(records, missing_bucket.quarantine())
    assert [(o.status.value, o.reason) for o in outcomes] == [
        ("processed", ""),
        ("failed", "quarantine_unavailable"),
        ("failed", "after_failure"),
        ("failed", "after_failure"),
        ("failed", "after_failure"),
    ]
    assert batch_item_failures(outcomes) == [
        {"itemIdentifier": r.sequence_number} for r in records[1:]
    ]
    # the retry (Lambda resumes from the lowest failed sequence number) succeeds
    missing_bucket.create()
    retry = run_sinks(records[1:], missing_bucket.quarantine())
    assert [o.status.value for o in retry] == ["rejected", "processed", "rejected", "processed"]
    assert len(missing_bucket.objects) == 2


def test_a_failed_record_without_sequence_number_fails_the_whole_batch(
    missing_bucket: Bucket,
) -> None:
    record = record_with_data(b64(b"[1]"), sequence="")
    outcomes = run_sinks([record], missing_bucket.quarantine())
    assert batch_item_failures(outcomes) == [{"itemIdentifier": ""}]


# --- the deadline ---------------------------------------------------------------------------


class ShrinkingContext:
    """Plenty of time for the first `calls` checks, then too little."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def get_remaining_time_in_millis(self) -> int:
        self.calls -= 1
        return 60_000 if self.calls >= 0 else 500


def test_handler_stops_at_the_deadline_and_reports_the_rest_as_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    payloads = [_good(f"d-{i}") for i in range(5)]
    event = kinesis_event(payloads)
    response = lambda_handler.handler(event, ShrinkingContext(calls=2))
    sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in sequences[2:]]}
    out = capsys.readouterr().out
    assert out.count("reason=deadline") == 3
    assert "Event ID: d-1" in out and "Event ID: d-2" not in out
    # the retry, with time enough, processes the rest
    retry = {"Records": event["Records"][2:]}
    assert lambda_handler.handler(retry, ShrinkingContext(calls=100)) == {"batchItemFailures": []}
    assert "Event ID: d-4" in capsys.readouterr().out


def test_deadline_margin_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEADLINE_MARGIN_MS", "70000")  # more than any time left
    event = kinesis_event([_good("m-1")])
    response = lambda_handler.handler(event, ShrinkingContext(calls=100))
    assert len(response["batchItemFailures"]) == 1


# --- never raising --------------------------------------------------------------------------
