"""publish -> Kinesis (moto on loopback) -> consume -> handler -> quarantine (S3 on moto).

Nothing is lost: every good record is reported, every hostile one is in the quarantine with its
bytes as published, and processed + skipped + quarantined == published. Faults (a quarantine
that is not there yet, an invocation short of time) cost a retry, never a record.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

import handler as lambda_handler
from operata.cli import main
from operata.fixtures import TYPE_WITHOUT_SCHEMA
from operata.stream import (
    MAX_RECORD_BYTES,
    Consumer,
    LocalContext,
    failed_from,
    partition_key,
    publish,
)
from tests.helpers import ROOT, encode, source_event

pytestmark = pytest.mark.e2e

SPOOFED_SOURCE = "aws.partner/operata.comx/a28453f9-1111-2222-3333-84d9e67ac297/evil"


def event_id(name: str) -> str:
    """Deterministic ids, so the records spread over the shards the same way every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"operata-test/{name}"))


def good_events() -> dict[str, bytes]:
    events = {}
    for name in [
        "CallSummary",
        "CallSummary-minimal",
        "CallSummary-excellent",
        "AgentReportedIssue",
        "HeadsetSummary",
        "InsightsSummary",
        "InsightsSummary-none",
        TYPE_WITHOUT_SCHEMA,  # shown as it is
    ]:
        for copy in range(2):
            event = source_event(name)
            event["id"] = event_id(f"{name}-{copy}")
            events[event["id"]] = encode(event)
    return events


def _call_summary(name: str) -> dict[str, Any]:
    event = source_event("CallSummary")
    event["id"] = event_id(name)
    return event


def hostile_payloads() -> dict[str, bytes]:
    wrong_type = _call_summary("wrong-type")
    wrong_type["detail"]["billing"]["durationRoundedMin"] = "three"
    missing = _call_summary("missing-envelope")
    del missing["detail-type"], missing["time"]
    nan = json.dumps(_call_summary("nan")).replace('"avg": 4.', '"avg": NaN, "x": 4.', 1)
    huge = json.dumps(_call_summary("huge")).replace('"avg": 4.', '"avg": 1e400, "x": 4.', 1)
    assert "NaN" in nan and "1e400" in huge
    big_id = event_id("one-mib")
    skeleton = json.dumps({"id": big_id, "padding": ""}).encode()
    room = MAX_RECORD_BYTES - len(big_id.encode()) - len(skeleton)
    one_mib = json.dumps({"id": big_id, "padding": "x" * room}).encode()
    assert len(one_mib) + len(partition_key(one_mib, "")) == MAX_RECORD_BYTES
    return {
        "invalid-utf8": b'{"id": "\xff\xfe\xfd", "source": "\xc3\x28"}',
        "json-array": b"[1, 2, 3]",
        "json-number": b"42",
        "json-null": b"null",
        "deep-nesting": b"[" * 100_000,
        "nan": nan.encode(),
        "huge-number": huge.encode(),
        "wrong-type": encode(wrong_type),
        "missing-envelope": encode(missing),
        "one-mib": one_mib,
        "not-json": b"\x00\x01 binary garbage \x02",
    }


def spoofed() -> bytes:
    event = _call_summary("spoofed")
    event["source"] = SPOOFED_SOURCE
    return encode(event)


# --- moto: a stream with two shards, a bucket ---------------------------------------------------


@pytest.fixture
def aws(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    suffix = uuid.uuid4().hex[:8]
    kinesis = boto3.client("kinesis", endpoint_url=aws_endpoint)
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    stream, bucket = f"operata-{suffix}", f"quarantine-{suffix}"
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=stream, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
    )
    monkeypatch.setenv("QUARANTINE_BUCKET", bucket)
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.delenv("OPERATA_SCHEMA_DIR", raising=False)
    yield {
        "endpoint": aws_endpoint,
        "kinesis": kinesis,
        "s3": s3,
        "stream": stream,
        "bucket": bucket,
    }


class Recorder:
    """Wraps the handler as the mapping sees it: every batch, every response, every exception."""

    def __init__(self, after_first: Callable[[], None] | None = None) -> None:
        self.calls: list[tuple[list[str], Any]] = []
        self.raised: list[BaseException] = []
        self.after_first = after_first

    def __call__(self, event: Any, context: Any) -> Any:
        sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
        try:
            response = lambda_handler.handler(event, context)
        except BaseException as exc:
            self.raised.append(exc)
            raise
        self.calls.append((sequences, response))
        if len(self.calls) == 1 and self.after_first is not None:
            self.after_first()
        return response


def quarantined(s3: Any, bucket: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(shard, sequence number) -> quarantine entry."""
    found = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix="quarantine/"):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            document = json.loads(body)
            found[(document["shardId"], document["sequenceNumber"])] = document
    return found


def log_outcomes(out: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(shard, sequence number) -> the JSON log lines written for that record."""
    lines = defaultdict(list)
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        document = json.loads(line)
        if "outcome" in document:
            lines[(document["shardId"], document["sequenceNumber"])].append(document)
    return lines


def consume(aws: dict[str, Any], handler: Any, **kwargs: Any) -> tuple[Consumer, str]:
    out = io.StringIO()
    consumer = Consumer(
        client=aws["kinesis"], stream=aws["stream"], handler=handler, out=out, **kwargs
    )
    consumer.open("TRIM_HORIZON")
    consumer.run(drain=True, max_seconds=120)
    return consumer, out.getvalue()


# --- the whole path ------------------------------------------------------------------------------


def test_publish_and_consume_lose_nothing(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    good, hostile = good_events(), hostile_payloads()
    payloads = [(f"{i}.json", data) for i, data in good.items()]
    payloads += [(f"{name}.bin", data) for name, data in hostile.items()]
    payloads.append(("spoofed.json", spoofed()))
    puts = publish(aws["kinesis"], aws["stream"], payloads)
    assert [p.error for p in puts if p.error] == []
    assert len({p.shard_id for p in puts}) == 2, "the records should cover both shards"
    published = {
        (p.shard_id, p.sequence_number): data for p, (_, data) in zip(puts, payloads, strict=True)
    }
    assert len(published) == len(payloads)

    recorder = Recorder()
    consumer, said = consume(aws, recorder, batch_size=7)
    out = capsys.readouterr().out

    assert recorder.raised == []
    assert all(not s.given_up for s in consumer.shards.values()), said
    assert sum(s.records for s in consumer.shards.values()) == len(payloads)
    assert len(said.splitlines()) == 0  # no retries were needed

    lines = log_outcomes(out)
    processed = {k for k, docs in lines.items() if any(d["outcome"] == "processed" for d in docs)}
    skipped = {k for k, docs in lines.items() if any(d["outcome"] == "skipped" for d in docs)}
    entries = quarantined(aws["s3"], aws["bucket"])

    # every good record reported, by event id
    reported_ids = {d["eventId"] for k in processed for d in lines[k]}
    assert set(good) <= reported_ids
    # every hostile one in the quarantine, bytes identical to what was published
    hostile_keys = {
        (p.shard_id, p.sequence_number)
        for p, (name, _) in zip(puts, payloads, strict=True)
        if name.endswith(".bin")
    }
    assert hostile_keys == set(entries)
    for key in hostile_keys:
        assert base64.b64decode(entries[key]["data"]) == published[key]
        assert entries[key]["partitionKey"]
        assert entries[key]["streamArn"].endswith(f":stream/{aws['stream']}")
        assert entries[key]["reason"] in {
            "not_utf8",
            "not_json",
            "not_eventbridge",
            "schema_invalid",
        }
    reasons = {entries[k]["reason"] for k in hostile_keys}
    assert reasons == {"not_utf8", "not_json", "not_eventbridge", "schema_invalid"}
    # the spoofed source is not Operata's: skipped, with a line that says so
    (spoofed_key,) = skipped
    assert published[spoofed_key] == spoofed()
    assert lines[spoofed_key][0]["source"] == SPOOFED_SOURCE
    # none lost, none counted twice
    assert processed.isdisjoint(skipped) and processed.isdisjoint(entries)
    assert len(processed) + len(skipped) + len(entries) == len(published)
    assert processed | skipped | set(entries) == set(published)


def test_publish_refuses_a_record_over_one_mib(aws: dict[str, Any]) -> None:
    too_big = b"x" * MAX_RECORD_BYTES  # plus any partition key: over the limit
    (put,) = publish(aws["kinesis"], aws["stream"], [("big.bin", too_big)])
    assert put.error and "1 MiB" in put.error
    assert not put.sequence_number


def test_consume_command_in_a_subprocess(aws: dict[str, Any], tmp_path: Path) -> None:
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    good = dict(list(good_events().items())[:6])
    files = []
    for i, data in good.items():
        files.append(tmp_path / f"{i}.json")
        files[-1].write_bytes(data)
    (tmp_path / "nested.bin").write_bytes(b"[" * 100_000)
    (tmp_path / "utf8.bin").write_bytes(b"\xff\xfe")
    files += [tmp_path / "nested.bin", tmp_path / "utf8.bin"]
    env = {**os.environ, "LOG_FORMAT": "text"}
    env.pop("AWS_ENDPOINT_URL")  # --endpoint-url alone must be enough
    common = ["--stream", aws["stream"], "--endpoint-url", aws["endpoint"]]
    published = subprocess.run(
        [sys.executable, "-m", "operata", "publish", *common, *map(str, files)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert published.returncode == 0, published.stderr
    assert f"published {len(files)} of {len(files)} records" in published.stdout

    consumed = subprocess.run(
        [sys.executable, "-m", "operata", "consume", *common, "--drain", "--batch-size", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert consumed.returncode == 0, consumed.stderr + consumed.stdout
    out = consumed.stdout
    for i in good:
        assert f"Event ID: {i}" in out
    assert out.count("[consume] shard shardId-") == 2
    assert "0 given up" in out
    entries = quarantined(aws["s3"], aws["bucket"])
    assert sorted(base64.b64decode(e["data"]) for e in entries.values()) == sorted(
        [b"[" * 100_000, b"\xff\xfe"]
    )


# --- fault injection ----------------------------------------------------------------------------


def test_quarantine_missing_at_first_then_there(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The bucket is created only after the first invocation: its rejections are retried."""
    good = [encode(_call_summary(f"q-{i}")) for i in range(3)]
    payloads = [good[0], b"[1]", good[1], b"null", good[2]]
    kinesis = aws["kinesis"]
    puts = [
        kinesis.put_record(
            StreamName=aws["stream"], Data=data, PartitionKey="same-shard"
        )  # one shard: one batch
        for data in payloads
    ]
    sequences = [p["SequenceNumber"] for p in puts]
    recorder = Recorder(after_first=lambda: aws["s3"].create_bucket(Bucket=aws["bucket"]))
    consumer, said = consume(aws, recorder, batch_size=10)
    out = capsys.readouterr().out

    assert recorder.raised == []
    first_batch, first_response = recorder.calls[0]
    assert first_batch == sequences
    assert first_response == {"batchItemFailures": [{"itemIdentifier": s} for s in sequences[1:]]}
    second_batch, second_response = recorder.calls[1]
    assert second_batch == sequences[1:]
    assert second_response == {"batchItemFailures": []}
    assert "retry 1/3 from sequence number" in said
    assert all(not s.given_up for s in consumer.shards.values())

    lines = log_outcomes(out)
    shard = puts[0]["ShardId"]
    assert [d["reason"] for d in lines[(shard, sequences[1])]] == [
        "quarantine_unavailable",
        "not_eventbridge",
    ]
    entries = quarantined(aws["s3"], aws["bucket"])
    assert {k[1]: base64.b64decode(e["data"]) for k, e in entries.items()} == {
        sequences[1]: b"[1]",
        sequences[3]: b"null",
    }
    for data in good:
        assert json.loads(data)["id"] in out


def test_short_of_time_the_rest_is_retried(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    events = [encode(_call_summary(f"t-{i}")) for i in range(6)]
    for data in events:
        aws["kinesis"].put_record(StreamName=aws["stream"], Data=data, PartitionKey="one")

    class RunningOut:
        """Plenty of time for two records, then less than the margin (3 s)."""

        checks = 0

        def get_remaining_time_in_millis(self) -> int:
            self.checks += 1
            return 30_000 if self.checks <= 2 else 1_000

    contexts = iter([RunningOut()])

    def context() -> Any:
        return next(contexts, None) or LocalContext(timeout_ms=60_000)

    recorder = Recorder()
    consumer, _ = consume(aws, recorder, batch_size=10, context_factory=context)
    out = capsys.readouterr().out

    assert recorder.raised == []
    first_batch, first_response = recorder.calls[0]
    assert first_response == {"batchItemFailures": [{"itemIdentifier": s} for s in first_batch[2:]]}
    assert recorder.calls[1] == (first_batch[2:], {"batchItemFailures": []})
    assert "deadline" in out
    assert all(not s.given_up for s in consumer.shards.values())
    for data in events:
        assert json.loads(data)["id"] in out


# --- the mapping's rules, as consume applies them -----------------------------------------------


def _batch(*sequences: str) -> list[dict[str, Any]]:
    return [{"kinesis": {"sequenceNumber": s}} for s in sequences]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"batchItemFailures": []}, None),
        (None, None),
        ({}, None),
        ({"batchItemFailures": [{"itemIdentifier": "30"}, {"itemIdentifier": "20"}]}, 1),
        ({"batchItemFailures": [{"itemIdentifier": "100"}]}, 3),  # numeric, not text, order
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, 0),
        ({"batchItemFailures": [{"itemIdentifier": "999"}]}, 0),
        ({"batchItemFailures": [{"id": "20"}]}, 0),
        ({"batchItemFailures": "20"}, 0),
        ("nonsense", 0),
    ],
)
def test_where_the_mapping_resumes(response: Any, expected: int | None) -> None:
    assert failed_from(_batch("10", "20", "30", "100"), response) == expected


def test_consume_gives_up_after_the_retries_and_says_which_records(aws: dict[str, Any]) -> None:
    # no bucket at all: every rejection fails, every time
    aws["kinesis"].put_record(StreamName=aws["stream"], Data=b"[1]", PartitionKey="x")
    aws["kinesis"].put_record(StreamName=aws["stream"], Data=b"[2]", PartitionKey="x")
    recorder = Recorder()
    consumer, said = consume(aws, recorder, max_retries=2)
    given_up = [seq for s in consumer.shards.values() for seq in s.given_up]
    assert len(given_up) == 2
    assert len(recorder.calls) == 3  # the first attempt and two retries
    assert f"GAVE UP after 2 retries on 2 records, sequence numbers {', '.join(given_up)}" in said


class ExpiringIterators:
    """A Kinesis client whose first GetRecords on each of `shards` finds the iterator expired
    (an iterator left unused for 5 minutes); it also notes every GetShardIterator request."""

    def __init__(self, client: Any, shards: int = 2) -> None:
        self.client = client
        self.to_expire = shards
        self.requests: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_shard_iterator(self, **request: Any) -> Any:
        self.requests.append(request)
        return self.client.get_shard_iterator(**request)

    def get_records(self, **request: Any) -> Any:
        if self.to_expire:
            self.to_expire -= 1
            error = {"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}}
            raise self.client.exceptions.ExpiredIteratorException(error, "GetRecords")
        return self.client.get_records(**request)


@pytest.mark.parametrize("start", ["LATEST", "AT_TIMESTAMP"])
def test_an_expired_iterator_starts_again_where_consume_started(
    aws: dict[str, Any], start: str
) -> None:
    """Not from TRIM_HORIZON: what was on the stream before the start is not read."""
    kinesis = aws["kinesis"]
    before = encode(_call_summary(f"before-{start}"))
    kinesis.put_record(StreamName=aws["stream"], Data=before, PartitionKey="k")
    time.sleep(0.05)
    client = ExpiringIterators(kinesis)
    recorder = Recorder()
    consumer = Consumer(
        client=client, stream=aws["stream"], handler=recorder, out=io.StringIO(), poll_interval=0.1
    )
    consumer.open(start, datetime.now(UTC) if start == "AT_TIMESTAMP" else None)
    time.sleep(0.05)
    after = encode(_call_summary(f"after-{start}"))
    put = kinesis.put_record(StreamName=aws["stream"], Data=after, PartitionKey="k")
    consumer.run(drain=True, max_seconds=60)

    assert client.to_expire == 0
    assert [sequences for sequences, _ in recorder.calls] == [[put["SequenceNumber"]]]
    reopened = client.requests[2:]
    assert len(reopened) == 2 and all(r["ShardIteratorType"] == "AT_TIMESTAMP" for r in reopened)


def test_consume_names_a_timestamp_it_cannot_read(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["consume", "--stream", "s", "--from", "AT_TIMESTAMP", "--timestamp", "yesterday"]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "--timestamp yesterday" in err and "ISO 8601" in err
