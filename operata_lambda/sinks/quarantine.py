"""Where rejected records are kept: one S3 object per record, or one local file when no bucket
is set (`sls invoke local`).

Each entry holds the record's data exactly as Kinesis delivered it (base64), where it came from
(stream, shard, sequence number, partition key, arrival time) and why it was rejected. Keys are
deterministic (reason / arrival date / shard / sequence number), so a retried rejection
overwrites its entry instead of adding a second one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from operata_lambda import aws
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import SinkUnavailable

ENTRY_VERSION = 1


def entry(outcome: Outcome) -> dict[str, Any]:
    """The quarantine document for a rejected record."""
    record = outcome.record
    arrival = (
        datetime.fromtimestamp(record.arrival_time, UTC).isoformat()
        if record.arrival_time is not None
        else None
    )
    return {
        "entryVersion": ENTRY_VERSION,
        "reason": outcome.reason,
        "message": outcome.message,
        "error": outcome.error(),
        "detailType": outcome.detail_type or None,
        "eventId": outcome.event_id or None,
        "schemaVersion": outcome.schema_version or None,
        "streamArn": record.stream_arn,
        "shardId": record.shard_id,
        "sequenceNumber": record.sequence_number,
        "partitionKey": record.partition_key,
        "approximateArrivalTimestamp": record.arrival_time,
        "arrivalTime": arrival,
        "quarantinedAt": datetime.now(UTC).isoformat(),
        "dataEncoding": "base64",  # `data` is the record's data exactly as Lambda delivered it
        "data": record.data,
    }


def key_for(prefix: str, outcome: Outcome) -> str:
    record = outcome.record
    day = (
        datetime.fromtimestamp(record.arrival_time, UTC).strftime("%Y/%m/%d")
        if record.arrival_time is not None
        else "unknown-date"
    )
    shard = record.shard_id or "unknown-shard"
    sequence = record.sequence_number or "unknown-sequence"
    return f"{prefix}{outcome.reason}/{day}/{shard}/{sequence}.json"


class LocalQuarantine:
    """Local runs (no bucket): one file per rejected record under QUARANTINE_DIR, laid out like
    the bucket's keys, so that a person can read it and `redrive`-style tools can find it."""

    name = "quarantine"

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def keep(self, outcome: Outcome) -> str:
        if outcome.status is not Status.REJECTED:
            return ""
        path = self.directory / key_for("", outcome)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(entry(outcome), indent=2, default=str) + "\n")
        except OSError as exc:
            raise SinkUnavailable(self.name, exc, [outcome.record]) from exc
        return str(path)


class S3Quarantine:
    """Deployed: one encrypted object per rejected record in the stack's bucket."""

    name = "quarantine"

    def __init__(self, bucket: str, prefix: str = "quarantine/", client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:  # made when a record needs it: boto3 is slow to import
            self._client = aws.client("s3", aws.FUNCTION)
        return self._client

    def keep(self, outcome: Outcome) -> str:
        if outcome.status is not Status.REJECTED:
            return ""
        key = key_for(self.prefix, outcome)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=json.dumps(entry(outcome), default=str).encode("utf-8"),
                ContentType="application/json",
            )
        except Exception as exc:  # botocore's errors, timeouts, credentials: all I/O here
            raise SinkUnavailable(self.name, exc, [outcome.record]) from exc
        return f"s3://{self.bucket}/{key}"
