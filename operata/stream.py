"""Local stream tools: put EventBridge events on a Kinesis stream, and read it as Lambda would.

`publish` puts each file's bytes as one record, with the event id as partition key (what the
EventBridge rule's target does). `consume` reads every shard and calls handler.handler with
Lambda-shaped batches, honouring the partial batch response the way the event source mapping
does: resume from the lowest failed sequence number, retry a bounded number of times, then give
up on what is left of the batch (and say which sequence numbers, and optionally write the
on-failure destination's S3 object, so that `redrive` can be tried on it).

Both talk to whatever endpoint boto3 is given (a moto server on loopback in the tests).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from operata import aws
from operata.fixtures import lambda_record, partition_key
from operata.project import function_timeout_s

MAX_RECORD_BYTES = 1024 * 1024  # Kinesis: data + partition key, in bytes

Handler = Callable[[Any, Any], Any]


def aws_client(service: str, endpoint_url: str | None, region: str | None = None) -> Any:
    """A boto3 client with the usual credentials, at endpoint_url when one is given."""
    return aws.client(service, endpoint_url, region)


# --- publish ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Put:
    name: str
    partition_key: str
    shard_id: str = ""
    sequence_number: str = ""
    error: str = ""


def publish(client: Any, stream: str, payloads: Iterable[tuple[str, bytes]]) -> list[Put]:
    """Put each (name, bytes) as one record, in order. Refuses what Kinesis would refuse."""
    results = []
    for index, (name, data) in enumerate(payloads):
        key = partition_key(data, f"{Path(name).name}-{index}")
        size = len(data) + len(key.encode("utf-8"))
        if size > MAX_RECORD_BYTES:
            error = f"record is {size} bytes with its partition key; Kinesis takes 1 MiB at most"
            results.append(Put(name, key, error=error))
            continue
        try:
            response = client.put_record(StreamName=stream, Data=data, PartitionKey=key)
        except Exception as exc:  # botocore's errors: report, go on with the next file
            if aws.is_fatal(exc):  # no stream, no endpoint: every other file would fail too
                raise
            results.append(Put(name, key, error=f"{type(exc).__name__}: {exc}"))
            continue
        results.append(Put(name, key, response["ShardId"], response["SequenceNumber"]))
    return results


def publish_command(args: argparse.Namespace) -> int:
    payloads = []
    for name in args.files:
        try:
            payloads.append((name, Path(name).read_bytes()))
        except OSError as exc:
            print(f"error: cannot read {name}: {exc.strerror}", file=sys.stderr)
            return 2
    client = aws_client("kinesis", args.endpoint_url, args.region)
    results = publish(client, args.stream, payloads)
    for put in results:
        if put.error:
            print(f"NOT PUT {put.name}: {put.error}")
        else:
            print(
                f"put {put.name} -> {put.shard_id} seq={put.sequence_number} "
                f"partition_key={put.partition_key}"
            )
    failed = sum(1 for p in results if p.error)
    print(f"published {len(results) - failed} of {len(results)} records to {args.stream}")
    return 1 if failed else 0


# --- consume ------------------------------------------------------------------------------


class LocalContext:
    """The part of Lambda's context object the handler uses, with a real deadline."""

    def __init__(self, timeout_ms: int, function_name: str = "operata-local-consumer") -> None:
        self.deadline = time.monotonic() + timeout_ms / 1000
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def arrival_seconds(raw: dict[str, Any]) -> float:
    """A GetRecords record's ApproximateArrivalTimestamp, in seconds since the epoch."""
    arrival = raw.get("ApproximateArrivalTimestamp")
    if isinstance(arrival, datetime):
        return arrival.timestamp()
    return float(arrival) if isinstance(arrival, int | float) else time.time()


def delivered(raw: dict[str, Any], shard_id: str, stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as the event source mapping hands it to the function."""
    return lambda_record(
        raw.get("Data", b""),
        sequence=str(raw["SequenceNumber"]),
        key=raw.get("PartitionKey", ""),
        arrival=arrival_seconds(raw),
        shard=shard_id,
        stream_arn=stream_arn,
    )


def _sequence_key(sequence: str) -> tuple[int, str]:
    return (int(sequence), sequence) if sequence.isdigit() else (-1, sequence)


def failed_from(batch: Sequence[dict[str, Any]], response: Any) -> int | None:
    """Where the mapping resumes after this response: an index into batch, or None (success).

    Anything but a well-formed partial batch response naming records of this batch counts as
    the whole batch failing, as Lambda treats it.
    """
    if response is None:
        return None
    if not isinstance(response, dict):
        return 0
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return None
    if not isinstance(failures, list):
        return 0
    position = {r["kinesis"]["sequenceNumber"]: i for i, r in enumerate(batch)}
    indexes = []
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in position:
            return 0
        indexes.append(position[identifier])
    lowest = min((batch[i]["kinesis"]["sequenceNumber"] for i in indexes), key=_sequence_key)
    return position[lowest]


@dataclass
class ShardSummary:
    shard_id: str
    records: int = 0
    invocations: int = 0
    retries: int = 0
    handler_errors: int = 0
    given_up: list[str] = field(default_factory=list)
    done: bool = False
    iterator: str | None = None
    last_sequence: str = ""

    def line(self) -> str:
        text = (
            f"shard {self.shard_id}: {self.records} records, {self.invocations} invocations, "
            f"{self.retries} retries, {self.handler_errors} handler errors, "
            f"{len(self.given_up)} given up"
        )
        if self.given_up:
            text += f" (sequence numbers {', '.join(self.given_up)})"
        return text


@dataclass
class Consumer:
    """The event source mapping's loop, for one stream, in this process."""

    client: Any
    stream: str
    handler: Handler
    batch_size: int = 100
    max_retries: int = 3
    timeout_ms: int = field(default_factory=lambda: int(function_timeout_s() * 1000))
    context_factory: Callable[[], Any] | None = None
    on_failure: Callable[[dict[str, Any]], str] | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    poll_interval: float = 1.0
    stream_arn: str = ""
    shards: dict[str, ShardSummary] = field(default_factory=dict)
    # Where a shard starts again when its iterator expired before it read anything (open()).
    restart: tuple[str, datetime | None] = ("TRIM_HORIZON", None)

    def context(self) -> Any:
        return self.context_factory() if self.context_factory else LocalContext(self.timeout_ms)

    def say(self, text: str) -> None:
        self.out.write(f"[consume] {text}\n")
        self.out.flush()

    def open(self, start: str, timestamp: datetime | None = None) -> None:
        """An iterator per shard: TRIM_HORIZON, LATEST or AT_TIMESTAMP (default: now)."""
        opened = datetime.now(UTC)
        summary = self.client.describe_stream_summary(StreamName=self.stream)
        self.stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
        shard_ids: list[str] = []
        kwargs: dict[str, Any] = {"StreamName": self.stream}
        while True:
            page = self.client.list_shards(**kwargs)
            shard_ids += [s["ShardId"] for s in page.get("Shards", [])]
            token = page.get("NextToken")
            if not token:
                break
            kwargs = {"NextToken": token}
        for shard_id in shard_ids:
            iterator = self.iterator(shard_id, start, timestamp=timestamp or opened)
            self.shards[shard_id] = ShardSummary(shard_id, iterator=iterator)
        # An iterator that expires before it read a record starts again from the same point.
        # For LATEST that is the time it was opened: a new LATEST iterator would skip whatever
        # arrived while the old one sat unused.
        if start != "TRIM_HORIZON":
            self.restart = ("AT_TIMESTAMP", timestamp or opened)

    def iterator(
        self, shard_id: str, kind: str, *, timestamp: datetime | None = None, after: str = ""
    ) -> str:
        request: dict[str, Any] = {
            "StreamName": self.stream,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if kind == "AT_TIMESTAMP":
            request["Timestamp"] = timestamp
        elif kind == "AFTER_SEQUENCE_NUMBER":
            request["StartingSequenceNumber"] = after
        return str(self.client.get_shard_iterator(**request)["ShardIterator"])

    def poll(self, shard: ShardSummary, drain: bool) -> int:
        """One GetRecords on a shard, and the invocations for what it returned."""
        try:
            page = self.client.get_records(ShardIterator=shard.iterator, Limit=self.batch_size)
        except self.client.exceptions.ExpiredIteratorException:
            if shard.last_sequence:
                shard.iterator = self.iterator(
                    shard.shard_id, "AFTER_SEQUENCE_NUMBER", after=shard.last_sequence
                )
            else:
                kind, timestamp = self.restart
                shard.iterator = self.iterator(shard.shard_id, kind, timestamp=timestamp)
            return 0
        records = page.get("Records", [])
        shard.iterator = page.get("NextShardIterator")
        if records:
            batch = [delivered(r, shard.shard_id, self.stream_arn) for r in records]
            shard.records += len(batch)
            shard.last_sequence = batch[-1]["kinesis"]["sequenceNumber"]
            self.deliver(shard, batch)
        closed = shard.iterator is None  # a closed shard, read to its end
        caught_up = not records and not page.get("MillisBehindLatest")
        if closed or (drain and caught_up):
            shard.done = True
        return len(records)

    def deliver(self, shard: ShardSummary, batch: list[dict[str, Any]]) -> None:
        """Invoke until the batch succeeds or the retries are spent, like the mapping does."""
        pending = batch
        attempt = 0
        while pending:
            shard.invocations += 1
            try:
                response = self.handler({"Records": pending}, self.context())
            except Exception as exc:  # a function error: the whole batch is retried
                shard.handler_errors += 1
                self.say(f"{shard.shard_id}: handler raised {type(exc).__name__}: {exc}")
                start: int | None = 0
            else:
                start = failed_from(pending, response)
            if start is None:
                return
            pending = pending[start:]
            first = pending[0]["kinesis"]["sequenceNumber"]
            if attempt >= self.max_retries:
                sequences = [r["kinesis"]["sequenceNumber"] for r in pending]
                shard.given_up += sequences
                where = ""
                if self.on_failure is not None:
                    where = " -> " + self.on_failure(self.failure_record(shard, pending, attempt))
                self.say(
                    f"{shard.shard_id}: GAVE UP after {attempt} retries on {len(sequences)} "
                    f"records, sequence numbers {', '.join(sequences)}{where}"
                )
                return
            attempt += 1
            shard.retries += 1
            self.say(
                f"{shard.shard_id}: retry {attempt}/{self.max_retries} from sequence number "
                f"{first} ({len(pending)} records)"
            )

    def failure_record(
        self, shard: ShardSummary, batch: list[dict[str, Any]], retries: int
    ) -> dict[str, Any]:
        """What the on-failure destination receives for a discarded batch (S3 form)."""

        def iso(seconds: float) -> str:
            moment = datetime.fromtimestamp(seconds, UTC)
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

        first, last = batch[0]["kinesis"], batch[-1]["kinesis"]
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": "arn:aws:lambda:local:123456789012:function:operata-local",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": retries + 1,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "",
            },
            "version": "1.0",
            "timestamp": now,
            "KinesisBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": first["sequenceNumber"],
                "endSequenceNumber": last["sequenceNumber"],
                "approximateArrivalOfFirstRecord": iso(first["approximateArrivalTimestamp"]),
                "approximateArrivalOfLastRecord": iso(last["approximateArrivalTimestamp"]),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
            "payload": json.dumps({"Records": batch}),
        }

    def run(self, *, drain: bool, max_seconds: float | None = None) -> None:
        started = time.monotonic()
        while True:
            active = [s for s in self.shards.values() if not s.done]
            if not active:
                return
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                self.say(f"stopping after {max_seconds:g} s")
                return
            got = sum(self.poll(shard, drain) for shard in active)
            if not got and any(not s.done for s in self.shards.values()):
                time.sleep(self.poll_interval)


def s3_on_failure_writer(
    client: Any, bucket: str, mapping_id: str
) -> Callable[[dict[str, Any]], str]:
    """Write discarded batches where Lambda's S3 on-failure destination would."""

    def write(document: dict[str, Any]) -> str:
        info = document["KinesisBatchInfo"]
        now = datetime.now(UTC)
        key = (
            f"aws/lambda/{mapping_id}/{info['shardId']}/{now:%Y/%m/%d}/"
            f"{now:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
        )
        client.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode("utf-8"))
        return f"s3://{bucket}/{key}"

    return write


def load_handler() -> Handler:
    """handler.handler from the project root (the directory above this package)."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    module = importlib.import_module("handler")
    function: Handler = module.handler
    return function


def consume_command(args: argparse.Namespace) -> int:
    # The handler's own clients (the quarantine's S3) must talk to the same endpoint and region.
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    if args.region:
        os.environ["AWS_DEFAULT_REGION"] = args.region
    start = args.start  # one of the choices (cli.py)
    timestamp = None
    if start == "AT_TIMESTAMP":
        if not args.timestamp:
            print("error: --from AT_TIMESTAMP needs --timestamp", file=sys.stderr)
            return 2
        try:
            timestamp = datetime.fromisoformat(args.timestamp)
        except ValueError:
            print(
                f"error: --timestamp {args.timestamp}: not an ISO 8601 time "
                "(e.g. 2024-05-01T12:00:00Z)",
                file=sys.stderr,
            )
            return 2
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
    on_failure = None
    if args.on_failure_bucket:
        on_failure = s3_on_failure_writer(
            aws_client("s3", args.endpoint_url, args.region),
            args.on_failure_bucket,
            "local-consumer",
        )
    consumer = Consumer(
        client=aws_client("kinesis", args.endpoint_url, args.region),
        stream=args.stream,
        handler=load_handler(),
        batch_size=args.batch_size,
        max_retries=args.max_retries,
        timeout_ms=int((args.timeout or function_timeout_s()) * 1000),
        on_failure=on_failure,
    )
    consumer.open(start, timestamp)
    try:
        consumer.run(drain=args.drain)
    except KeyboardInterrupt:
        consumer.say("interrupted")
    for shard in consumer.shards.values():
        consumer.say(shard.line())
    return 1 if any(s.given_up for s in consumer.shards.values()) else 0
