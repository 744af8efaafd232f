"""The archive: one row per processed event (archive/rows.py), written at the batch's flush.

Deployed, the rows go to a Firehose delivery stream, which converts them to Parquet under
s3://<archive bucket>/archive/detail_type=.../event_date=.../. Locally (no stream), the same rows
are JSON lines under ARCHIVE_DIR in the same folders, one file per batch and partition.

Skipped, rejected and failed records have no row. When rows cannot be delivered, `flush`
raises SinkUnavailable with the records not archived: the batch loop fails them for retry, so
nothing is lost; a retried batch may archive a row twice, and the queries count an event id once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from operata_lambda import aws
from operata_lambda.archive.rows import PARTITIONS, encoded, row
from operata_lambda.aws import Patience
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import SinkUnavailable, Write, nothing
from operata_lambda.sinks.quarantine import safe_name

# PutRecordBatch's limits: 500 records and 4 MiB per call.
MAX_ROWS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024
ATTEMPTS = 3  # per call, for the entries Firehose reports as failed or a call that failed
CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 5
# An attempt starts only while the invocation has this long left: a connect and a read.
ATTEMPT_BUDGET_MS = (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) * 1000
BACKOFF_S = 0.1  # doubled after each attempt


@dataclass
class Row:
    record: KinesisRecord
    partition: tuple[str, str]  # (detail_type, event_date)
    data: bytes  # one JSON line


class Archive:
    """What both archives share: a row for each processed outcome, held until the flush."""

    name = "archive"
    fails_records = True

    def __init__(self, redact: bool = False) -> None:
        self.redact = redact
        self.rows: list[Row] = []

    def begin(self, count: int) -> None:
        """Nothing is written before the flush."""

    def take(self, outcome: Outcome) -> Write:
        """The row is made here (a bug in it rejects the record); its write holds it."""
        if outcome.status is not Status.PROCESSED:
            return nothing
        built = row(outcome, self.redact)
        partition = (built["detail_type"], built["event_date"])
        kept = Row(outcome.record, partition, self.encode(built))
        return lambda: self.rows.append(kept)

    def encode(self, built: dict[str, Any]) -> bytes:
        return encoded(built)

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if rows:
            self.write(rows)

    def write(self, rows: list[Row]) -> None:
        raise NotImplementedError


class LocalArchive(Archive):
    """JSON lines under a folder, laid out as the bucket: detail_type=X/event_date=D/.

    The file is named after the batch's first record, so running the same batch again
    rewrites its file instead of adding rows.
    """

    def __init__(self, directory: str, redact: bool = False) -> None:
        super().__init__(redact)
        self.directory = Path(directory)

    def encode(self, built: dict[str, Any]) -> bytes:
        """The columns only: the folders are the partition (as in the bucket's Parquet)."""
        return encoded({k: v for k, v in built.items() if k not in PARTITIONS})

    def write(self, rows: list[Row]) -> None:
        first = rows[0].record
        # one-to-one and inside the partition's folder, whatever the record says
        name = f"{safe_name(first.shard_id) if first.shard_id else 'unknown-shard'}-"
        name += f"{safe_name(first.sequence_number) if first.sequence_number else 'unknown'}.json"
        by_partition: dict[tuple[str, str], list[bytes]] = {}
        for kept in rows:
            by_partition.setdefault(kept.partition, []).append(kept.data)
        try:
            for (detail_type, event_date), lines in by_partition.items():
                folder = self.directory / f"detail_type={detail_type}" / f"event_date={event_date}"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(b"".join(lines))
        except OSError as exc:
            raise SinkUnavailable("archive", exc, [kept.record for kept in rows]) from exc


class FirehoseRejected(Exception):
    """Firehose answered but kept some entries out: the first entry's error code and message."""


class FirehoseArchive(Archive):
    """PutRecordBatch to the delivery stream, in as few calls as its limits allow."""

    def __init__(
        self,
        stream: str,
        client: Any = None,
        redact: bool = False,
        time_left_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        make_client: Callable[[], Any] | None = None,
    ) -> None:
        """`client`, or one made by `make_client` (default: firehose_client) at the first call,
        where failing to make it (no region, say) fails the records like any other call."""
        super().__init__(redact)
        self.stream = stream
        self.client = client
        self.make_client = make_client or firehose_client
        self.time_left_ms = time_left_ms
        self.sleep = sleep

    def write(self, rows: list[Row]) -> None:
        calls = list(_calls(rows))
        for index, call in enumerate(calls):
            not_sent, cause = self._put(call)
            if not_sent:
                later = [kept.record for rest in calls[index + 1 :] for kept in rest]
                raise SinkUnavailable(
                    "archive",
                    cause or FirehoseRejected(),
                    [kept.record for kept in not_sent] + later,
                )

    def _put(self, rows: list[Row]) -> tuple[list[Row], BaseException | None]:
        """Send the rows, again for the entries that failed; what is left unsent, and why."""
        cause: BaseException | None = None
        for attempt in range(ATTEMPTS):
            if attempt:
                self.sleep(BACKOFF_S * 2 ** (attempt - 1))
            if self.time_left_ms is not None and self.time_left_ms() < ATTEMPT_BUDGET_MS:
                return rows, cause or TimeoutError("too little time left to call Firehose")
            try:
                if self.client is None:
                    self.client = self.make_client()
                response = self.client.put_record_batch(
                    DeliveryStreamName=self.stream,
                    Records=[{"Data": kept.data} for kept in rows],
                )
            except Exception as exc:  # botocore's errors, timeouts, credentials: all I/O here
                cause = exc
                continue
            results = response.get("RequestResponses", [])
            failed = [r for r in results if r.get("ErrorCode")]
            # An entry without an answer counts as failed: it is sent again.
            answered = zip(rows, results, strict=False)
            rows = [k for k, r in answered if r.get("ErrorCode")] + rows[len(results) :]
            if not rows:
                return [], None
            first = failed[0] if failed else {"ErrorCode": "NoAnswer", "ErrorMessage": ""}
            cause = FirehoseRejected(f"{first['ErrorCode']}: {first.get('ErrorMessage', '')}")
        return rows, cause


def _calls(rows: list[Row]) -> Iterator[list[Row]]:
    """The rows in order, cut into calls of at most 500 rows and 4 MiB."""
    call: list[Row] = []
    size = 0
    for kept in rows:
        if call and (len(call) == MAX_ROWS_PER_CALL or size + len(kept.data) > MAX_BYTES_PER_CALL):
            yield call
            call, size = [], 0
        call.append(kept)
        size += len(kept.data)
    if call:
        yield call


# Attempts are the sink's own (ATTEMPTS, within the time left): botocore makes one per call.
PATIENCE = Patience(connect_s=CONNECT_TIMEOUT_S, read_s=READ_TIMEOUT_S, attempts=1)


def firehose_client() -> Any:
    # The sink always sends a stream name and a list of bytes: botocore's check of each of up
    # to 500 entries against the API's model is skipped.
    return aws.client("firehose", PATIENCE, checked=False)
