"""Where rejected records are kept: one S3 object per record, or one local file when no bucket
is set (`sls invoke local`).

Each entry holds the record's data exactly as Kinesis delivered it (base64), where it came from
(stream, shard, sequence number, partition key, arrival time) and why it was rejected. Keys are
deterministic (reason / arrival date / shard / sequence number), so a retried rejection
overwrites its entry instead of adding a second one, and one-to-one: each part is written with
safe characters only (safe_name), so no key or file name can leave the prefix or the folder.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from operata_lambda import aws
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import SinkUnavailable

ENTRY_VERSION = 1


def _arrival(seconds: float | None) -> datetime | None:
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):  # out of the calendar's range
        return None


def entry(outcome: Outcome) -> dict[str, Any]:
    """The quarantine document for a rejected record."""
    record = outcome.record
    arrived = _arrival(record.arrival_time)
    arrival = arrived.isoformat() if arrived is not None else None
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
        "approximateArrivalTimestamp": record.arrival_time if arrived is not None else None,
        "arrivalTime": arrival,
        "quarantinedAt": datetime.now(UTC).isoformat(),
        "dataEncoding": "base64",  # `data` is the record's data exactly as Lambda delivered it
        "data": record.data,
    }


# A name kept as it is: what Kinesis and the reason codes use (digits, shardId-000000000000).
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def safe_name(text: str) -> str:
    """`text` as one key part or file name: itself when plain, else `~` and a digest of it.

    Plain names start with a letter or digit and digests with `~`, so the two never meet, and
    a digest names one text only: no separator, no `..`, nothing that can leave the folder.
    """
    if _PLAIN.fullmatch(text):
        return text
    import hashlib  # a few ms of a cold start, for names no real record has

    return "~" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def key_for(prefix: str, outcome: Outcome) -> str:
    """reason/YYYY/MM/DD/shard/sequence.json after the prefix, each part a safe_name."""
    record = outcome.record
    arrived = _arrival(record.arrival_time)
    day = arrived.strftime("%Y/%m/%d") if arrived is not None else "unknown-date"
    shard = safe_name(record.shard_id) if record.shard_id else "unknown-shard"
    if record.sequence_number:
        sequence = safe_name(record.sequence_number)
    else:  # no sequence number: named by what it holds, so two such records do not meet
        sequence = safe_name(f"no sequence number\n{record.partition_key}\n{record.data}")
    return f"{prefix}{safe_name(outcome.reason)}/{day}/{shard}/{sequence}.json"


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
