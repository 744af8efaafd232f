"""`python -m operata redrive`: run what the bucket holds through the current code again.

Two kinds of object are read from the bucket:

- quarantine entries (`<prefix><reason>/<date>/<shard>/<sequence>.json`, written by
  quarantine.S3Quarantine): one rejected record each;
- the event source mapping's on-failure records (`aws/lambda/<mapping>/<shard>/YYYY/MM/DD/...`):
  a batch Lambda gave up on. Its `payload` holds the original invocation event when Lambda could
  include it; otherwise only `KinesisBatchInfo` is there, and the records are read back from the
  stream (by its ARN) by sequence number range while the stream still holds them; those it no
  longer holds (fewer than `batchSize` come back) are "not replayable", and the object stays.

Each record goes through the function's own wiring (operata_lambda.app: build_sinks, run) with
the bucket's quarantine and the usual report. An object whose records now all succeed
(processed or skipped) or are quarantined again is moved under `redriven/`; a record still
rejected has its entry rewritten with the new error (under its new reason's key, the old one
removed); anything that failed stays where it was.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from operata.aws import ToolError
from operata.stream import aws_client, delivered
from operata_lambda import app
from operata_lambda.config import Settings, key_prefix
from operata_lambda.pipeline.batch import examine
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.setup_check import full_schema_problem
from operata_lambda.sinks.quarantine import S3Quarantine, key_for
from operata_lambda.validation import schemas
from operata_lambda.validation.schemas import schema_set

REDRIVEN = "redriven/"
ON_FAILURE_PREFIX = "aws/lambda/"
ON_FAILURE_REASON = "on_failure"  # --reason value that selects the on-failure records only
NOT_REPLAYABLE = "not_replayable"


def _keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield str(item["Key"])


@dataclass
class Redrive:
    s3: Any
    bucket: str
    prefix: str = Settings.quarantine_prefix
    dry_run: bool = False
    settings: Settings | None = None  # None: read from the environment, as the function does
    kinesis: Any = None  # for on-failure records without a payload; None: not replayable
    out: TextIO = field(default_factory=lambda: sys.stdout)
    counts: Counter[str] = field(default_factory=Counter)
    moved: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.out.write(f"[redrive] {text}\n")

    # --- what to read -------------------------------------------------------------------

    def entry_keys(self, reason: str | None) -> list[str]:
        keys = []
        if reason != ON_FAILURE_REASON:
            where = f"{self.prefix}{reason}/" if reason else self.prefix
            for key in _keys(self.s3, self.bucket, where):
                # An empty prefix lists the whole bucket: leave the other kinds of object out.
                if not self.prefix and key.startswith((REDRIVEN, ON_FAILURE_PREFIX)):
                    continue
                keys.append(key)
        return keys

    def on_failure_keys(self, reason: str | None) -> list[str]:
        if reason not in (None, ON_FAILURE_REASON):
            return []
        return list(_keys(self.s3, self.bucket, ON_FAILURE_PREFIX))

    def read(self, key: str) -> dict[str, Any] | None:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        try:
            document = json.loads(body)
        except ValueError:
            return None
        return document if isinstance(document, dict) else None

    # --- running ------------------------------------------------------------------------

    def run(self, records: list[KinesisRecord]) -> list[Outcome]:
        settings = self.settings or Settings.from_env()
        if self.dry_run:
            schemas = schema_set(settings.schema_dir)
            return [examine(record, schemas) for record in records]
        quarantine = S3Quarantine(self.bucket, self.prefix, client=self.s3)
        sinks = app.build_sinks(
            settings,
            stream=self.out,
            quarantine=quarantine,
            metrics=False,  # redrive's output is read by a person, not by CloudWatch
        )
        return app.run(records, settings, sinks)

    def move(self, key: str) -> None:
        if self.dry_run:
            return
        self.s3.copy_object(
            Bucket=self.bucket, Key=REDRIVEN + key, CopySource={"Bucket": self.bucket, "Key": key}
        )
        self.s3.delete_object(Bucket=self.bucket, Key=key)
        self.moved.append(key)

    def entry(self, key: str) -> None:
        document = self.read(key)
        if document is None or not document.get("data"):
            self.counts["unreadable"] += 1
            self.say(f"{key}: not a quarantine entry, left as it is")
            return
        (outcome,) = self.run([KinesisRecord.from_entry(document)])
        self.counts[outcome.status.value] += 1
        verb = "would be" if self.dry_run else "now"
        detail = f" ({outcome.reason}: {outcome.message})" if outcome.reason else ""
        self.say(f"{key}: {verb} {outcome.status.value}{detail}")
        if outcome.status in (Status.PROCESSED, Status.SKIPPED):
            self.move(key)
        elif outcome.status is Status.REJECTED and not self.dry_run:
            new_key = key_for(self.prefix, outcome)  # put() has written the new entry there
            if new_key != key:
                self.s3.delete_object(Bucket=self.bucket, Key=key)
                self.say(f"{key}: moved to {new_key}")

    def on_failure(self, key: str) -> None:
        document = self.read(key)
        if document is None:
            self.counts["unreadable"] += 1
            self.say(f"{key}: not an on-failure record, left as it is")
            return
        records, missing, why = self.batch_records(document)
        self.counts[NOT_REPLAYABLE] += missing
        if not records:
            self.say(f"{key}: not replayable: {why}")
            return
        outcomes = self.run(records)
        tally = Counter(o.status.value for o in outcomes)
        self.counts.update(tally)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(tally.items()))
        self.say(f"{key}: {len(records)} records ({why}): {summary}")
        if missing:
            total = len(records) + missing
            self.say(f"{key}: {missing} of {total} records not replayable, left as it is")
        elif not tally[Status.FAILED.value]:
            self.move(key)

    def batch_records(self, document: dict[str, Any]) -> tuple[list[KinesisRecord], int, str]:
        """The discarded batch's records (from the payload, else from the stream), how many of
        the batch's records could not be had, and where they came from (or why not)."""
        payload = document.get("payload")
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except (ValueError, RecursionError):
                payload = None
        raw = payload.get("Records") if isinstance(payload, dict) else None
        if isinstance(raw, list) and raw:
            return [KinesisRecord.from_lambda(r) for r in raw], 0, "from the payload"
        info = document.get("KinesisBatchInfo")
        if not isinstance(info, dict):
            return [], 1, "no payload and no KinesisBatchInfo"
        size = info.get("batchSize")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            size = None  # unknown: whatever is read back counts as the whole batch
        if self.kinesis is None:
            return [], size or 1, "no payload, and no stream to read the records from"
        try:
            records = read_range(self.kinesis, info)
        except Exception as exc:  # the stream is gone, or out of reach
            return [], size or 1, f"the stream cannot be read ({type(exc).__name__}: {exc})"
        if not records:
            return [], size or 1, "the stream no longer holds these records"
        # Fewer than the batch held: trimmed off the stream, or a range that does not match.
        missing = max(0, size - len(records)) if size else 0
        found = f"{len(records)} of {size or '?'} read back from the stream"
        return records, missing, found


def read_range(kinesis: Any, info: dict[str, Any]) -> list[KinesisRecord]:
    """Records startSequenceNumber..endSequenceNumber of a shard, as Lambda delivered them."""
    arn = str(info["streamArn"])
    shard, start, end = (
        str(info["shardId"]),
        str(info["startSequenceNumber"]),
        info.get("endSequenceNumber"),
    )
    last = int(end) if isinstance(end, str) and end.isdigit() else None
    iterator = kinesis.get_shard_iterator(
        StreamARN=arn,
        ShardId=shard,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=start,
    )["ShardIterator"]
    records: list[KinesisRecord] = []
    while iterator:
        page = kinesis.get_records(StreamARN=arn, ShardIterator=iterator, Limit=1000)
        for raw in page.get("Records", []):
            if last is not None and int(raw["SequenceNumber"]) > last:
                return records
            records.append(KinesisRecord.from_lambda(delivered(raw, shard, arn)))
        if not page.get("Records") and not page.get("MillisBehindLatest"):
            break
        iterator = page.get("NextShardIterator")
    return records


def redrive_command(args: argparse.Namespace) -> int:
    schemas.clear_cache()  # the schemas as they are on disk now
    settings = Settings.from_env()
    broken = full_schema_problem(settings.schema_dir)
    if broken:  # no record is run through a schema that cannot be used
        raise ToolError(broken)
    s3 = aws_client("s3", args.endpoint_url, args.region)
    job = Redrive(
        s3=s3,
        bucket=args.bucket,
        prefix=settings.quarantine_prefix if args.prefix is None else key_prefix(args.prefix),
        dry_run=args.dry_run,
        settings=settings,
        kinesis=aws_client("kinesis", args.endpoint_url, args.region),
    )
    for key in job.entry_keys(args.reason):
        job.entry(key)
    for key in job.on_failure_keys(args.reason):
        job.on_failure(key)
    order = ["processed", "skipped", "rejected", "failed", NOT_REPLAYABLE, "unreadable"]
    counts = ", ".join(f"{name} {job.counts[name]}" for name in order)
    label = "dry run, nothing changed: " if args.dry_run else ""
    job.say(f"{label}{counts}; objects moved to {REDRIVEN}: {len(job.moved)}")
    return 1 if job.counts["failed"] or job.counts[NOT_REPLAYABLE] else 0
