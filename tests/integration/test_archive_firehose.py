"""The function's rows reach a Firehose delivery stream: a moto server on loopback, the stream
created through the API (moto's CloudFormation creates none), and the rows found in the bucket.

moto's Firehose writes each PutRecordBatch straight to S3 (no buffering, no Parquet, no dynamic
partitioning), so the objects hold the JSON lines the function sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from operata_lambda import app
from operata_lambda.archive.rows import COLUMNS, PARTITIONS
from operata_lambda.config import Settings
from operata_lambda.pipeline.batch import batch_item_failures
from operata_lambda.pipeline.outcomes import Status
from tests.helpers import SOURCES, encode, records_of, run_batch, source_event

BUCKET = "archive-bucket"
STREAM = "operata-kinesis-processor-test-archive"


@pytest.fixture
def delivery_stream(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Direct PUT stream to a bucket, and a new container (its Firehose client at this
    endpoint); the bucket's client is returned."""
    monkeypatch.setattr(app, "CONTAINER", app.Container())
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    firehose = boto3.client("firehose", endpoint_url=aws_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    firehose.create_delivery_stream(
        DeliveryStreamName=STREAM,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/archive-delivery",
            "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "Prefix": "archive/",
        },
    )
    yield s3
    firehose.delete_delivery_stream(DeliveryStreamName=STREAM)
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def delivered(s3: Any) -> list[dict[str, Any]]:
    rows = []
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
        rows += [json.loads(line) for line in body.splitlines() if line]
    return rows


def test_processed_records_are_delivered_as_rows(delivery_stream: Any) -> None:
    events = [source_event(p.stem) for p in sorted(SOURCES.glob("*.json"))]
    records = records_of(*(encode(e) for e in events), b"not an event")
    settings = Settings(archive=True, archive_stream=STREAM, redact_pii=True)
    outcomes, _ = run_batch(records, settings)
    assert batch_item_failures(outcomes) == []
    rows = delivered(delivery_stream)
    processed = [o for o in outcomes if o.status is Status.PROCESSED]
    assert sorted(r["event_id"] for r in rows) == sorted(o.event_id for o in processed)
    assert all(list(r) == [*COLUMNS, *PARTITIONS] for r in rows)
    caller = source_event("CallSummary")["detail"]["contact"]["callerId"]
    assert caller not in json.dumps(rows)  # redacted as the log is


def test_a_stream_that_does_not_exist_fails_the_records_for_retry(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "CONTAINER", app.Container())
    records = records_of(
        encode(source_event("CallSummary")), encode(source_event("HeadsetSummary"))
    )
    settings = Settings(archive=True, archive_stream="no-such-stream")
    outcomes, out = run_batch(records, settings)
    failed = [f["itemIdentifier"] for f in batch_item_failures(outcomes)]
    assert failed == [r.sequence_number for r in records]
    assert "archive_unavailable" in out and "ResourceNotFoundException" in out
