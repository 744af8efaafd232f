"""redrive: quarantined records and discarded batches, run through the current code (moto)."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from operata.cli import main
from operata.stream import s3_on_failure_writer
from tests.helpers import encode
from tests.integration.test_stream_e2e import Recorder, _call_summary, aws, consume, quarantined

pytestmark = pytest.mark.e2e

__all__ = ["aws"]  # the fixture, shared with test_stream_e2e


def _keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _widen_duration(directory: Path) -> None:
    """Operata starts sending billing.durationRoundedMin as text: the schema accepts it now."""
    path = directory / "CallSummary.json"
    document = json.loads(path.read_text())
    billing = document["properties"]["billing"]["properties"]["durationRoundedMin"]
    billing["type"] = ["number", "string"]
    document["version"] = f"{document.get('version', '0')}-widened"
    path.write_text(json.dumps(document))


def _redrive(aws: dict[str, Any], *extra: str) -> int:
    return main(["redrive", "--bucket", aws["bucket"], "--endpoint-url", aws["endpoint"], *extra])


def test_redrive_after_a_schema_change(
    aws: dict[str, Any],
    schema_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    text_duration = _call_summary("text-duration")
    text_duration["detail"]["billing"]["durationRoundedMin"] = "3"
    for data in [encode(text_duration), b"not json"]:
        aws["kinesis"].put_record(StreamName=aws["stream"], Data=data, PartitionKey="k")
    consume(aws, Recorder())
    before = quarantined(aws["s3"], aws["bucket"])
    assert sorted(e["reason"] for e in before.values()) == ["not_json", "schema_invalid"]
    (rejected,) = [e for e in before.values() if e["reason"] == "schema_invalid"]
    assert rejected["error"]["path"] == "detail.billing.durationRoundedMin"
    assert rejected["error"]["value"] == "3"
    old_keys = _keys(aws["s3"], aws["bucket"])
    capsys.readouterr()

    _widen_duration(schema_dir)

    # a dry run says what would happen, and changes nothing
    assert _redrive(aws, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would be processed" in out
    assert "dry run, nothing changed: processed 1, skipped 0, rejected 1, failed 0" in out
    assert _keys(aws["s3"], aws["bucket"]) == old_keys

    # --reason narrows it down
    assert _redrive(aws, "--reason", "not_json") == 0
    out = capsys.readouterr().out
    assert "processed 0, skipped 0, rejected 1, failed 0" in out
    rewritten = quarantined(aws["s3"], aws["bucket"])
    (again,) = [e for e in rewritten.values() if e["reason"] == "not_json"]
    (first,) = [e for e in before.values() if e["reason"] == "not_json"]
    assert again["quarantinedAt"] > first["quarantinedAt"]  # the entry was written again
    assert again["data"] == first["data"]

    # the real thing: the record that was rejected is processed and moved under redriven/, and
    # archived, as the function would (the archive on, its rows in local files here)
    monkeypatch.setenv("ARCHIVE", "true")
    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "archive"))
    assert _redrive(aws) == 0
    out = capsys.readouterr().out
    assert "processed 1, skipped 0, rejected 1, failed 0" in out
    assert text_duration["id"] in out  # reported, as the handler reports it
    keys = _keys(aws["s3"], aws["bucket"])
    (schema_key,) = [k for k in old_keys if "/schema_invalid/" in k]
    assert schema_key not in keys
    assert f"redriven/{schema_key}" in keys
    moved = json.loads(
        aws["s3"].get_object(Bucket=aws["bucket"], Key=f"redriven/{schema_key}")["Body"].read()
    )
    assert base64.b64decode(moved["data"]) == encode(text_duration)
    assert [e["reason"] for e in quarantined(aws["s3"], aws["bucket"]).values()] == ["not_json"]
    rows = [
        json.loads(line)
        for path in (tmp_path / "archive").rglob("*.json")
        for line in path.read_text().splitlines()
    ]
    assert [row["event_id"] for row in rows] == [text_duration["id"]]


def _require_new_field(path: Path) -> None:
    document = json.loads(path.read_text())
    document["required"] = [*document.get("required", []), "somethingNew"]
    document["properties"]["somethingNew"] = {"type": "string"}
    path.write_text(json.dumps(document))


def test_still_rejected_entries_are_rewritten_with_the_new_error(
    aws: dict[str, Any], schema_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    event = _call_summary("new-error")
    event["detail"]["billing"]["durationRoundedMin"] = "3"
    aws["kinesis"].put_record(StreamName=aws["stream"], Data=encode(event), PartitionKey="k")
    consume(aws, Recorder())
    (old_key,) = _keys(aws["s3"], aws["bucket"])

    # the text duration is fine now, but the schema wants a field the event lacks
    _widen_duration(schema_dir)
    _require_new_field(schema_dir / "CallSummary.json")
    assert _redrive(aws) == 0
    (entry,) = quarantined(aws["s3"], aws["bucket"]).values()
    assert (entry["reason"], entry["error"]["rule"]) == ("schema_invalid", "required")
    assert "somethingNew" in entry["message"]
    assert _keys(aws["s3"], aws["bucket"]) == [old_key]  # same reason: same key, rewritten

    # now the envelope rejects it: a new reason, so a new key, and the old entry is gone
    _require_new_field(schema_dir / "envelope.json")
    assert _redrive(aws) == 0
    (entry,) = quarantined(aws["s3"], aws["bucket"]).values()
    assert entry["reason"] == "not_eventbridge"
    (new_key,) = _keys(aws["s3"], aws["bucket"])
    assert new_key == old_key.replace("/schema_invalid/", "/not_eventbridge/")
    assert f"moved to {new_key}" in capsys.readouterr().out


def test_redrive_of_a_batch_the_mapping_gave_up_on(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken deploy: the function raised until the mapping gave up and wrote the batch to
    the bucket (S3 on-failure destination). After the fix, redrive replays its records."""
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    good = encode(_call_summary("gave-up-good"))
    for data in [good, b"[1, 2]"]:
        aws["kinesis"].put_record(StreamName=aws["stream"], Data=data, PartitionKey="k")

    def broken(event: Any, context: Any) -> Any:
        raise RuntimeError("ImportError in the new version")

    writer = s3_on_failure_writer(aws["s3"], aws["bucket"], str(uuid.uuid4()))
    _, said = consume(aws, broken, max_retries=1, on_failure=writer)
    assert "GAVE UP after 1 retries on 2 records" in said
    (failure_key,) = _keys(aws["s3"], aws["bucket"], "aws/lambda/")
    document = json.loads(
        aws["s3"].get_object(Bucket=aws["bucket"], Key=failure_key)["Body"].read()
    )
    assert document["KinesisBatchInfo"]["batchSize"] == 2
    assert json.loads(document["payload"])["Records"][0]["eventSourceARN"].endswith(aws["stream"])
    capsys.readouterr()

    assert _redrive(aws) == 0
    out = capsys.readouterr().out
    assert "2 records (from the payload): 1 processed, 1 rejected" in out
    assert "processed 1, skipped 0, rejected 1, failed 0" in out
    assert _keys(aws["s3"], aws["bucket"], "aws/lambda/") == []
    assert f"redriven/{failure_key}" in _keys(aws["s3"], aws["bucket"], "redriven/")
    (entry,) = quarantined(aws["s3"], aws["bucket"]).values()
    assert base64.b64decode(entry["data"]) == b"[1, 2]"


def _batch_info_only(
    aws: dict[str, Any],
    stream: str,
    shard: str,
    start: str,
    end: str,
    *,
    size: int = 2,
    account: str = "123456789012",
) -> str:
    key = f"aws/lambda/{uuid.uuid4()}/{shard}/2026/01/02/2026-01-02T03.04.05-{uuid.uuid4()}"
    document = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-01-02T03:04:05.000Z",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": start,
            "endSequenceNumber": end,
            "approximateArrivalOfFirstRecord": "2026-01-02T03:04:00.000Z",
            "approximateArrivalOfLastRecord": "2026-01-02T03:04:01.000Z",
            "batchSize": size,
            "streamArn": f"arn:aws:kinesis:us-east-1:{account}:stream/{stream}",
        },
    }
    aws["s3"].put_object(Bucket=aws["bucket"], Key=key, Body=json.dumps(document).encode())
    return key


def test_redrive_reads_a_batch_without_payload_back_from_the_stream(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    events = [encode(_call_summary(f"range-{i}")) for i in range(4)]
    puts = [
        aws["kinesis"].put_record(StreamName=aws["stream"], Data=d, PartitionKey="k")
        for d in events
    ]
    shard = puts[0]["ShardId"]
    # the discarded batch was the middle two records
    key = _batch_info_only(
        aws, aws["stream"], shard, puts[1]["SequenceNumber"], puts[2]["SequenceNumber"]
    )
    gone = _batch_info_only(aws, "no-such-stream", shard, "1", "2")

    assert _redrive(aws, "--reason", "on_failure") == 1  # one batch cannot be replayed
    out = capsys.readouterr().out
    assert "2 records (2 of 2 read back from the stream): 2 processed" in out
    assert f"{gone}: not replayable: the stream cannot be read" in out
    assert "processed 2, skipped 0, rejected 0, failed 0, not_replayable 2" in out
    for data in events[1:3]:
        assert json.loads(data)["id"] in out
    for data in (events[0], events[3]):
        assert json.loads(data)["id"] not in out
    assert _keys(aws["s3"], aws["bucket"], "aws/lambda/") == [gone]
    assert _keys(aws["s3"], aws["bucket"], "redriven/") == [f"redriven/{key}"]


def test_a_batch_read_back_only_in_part_is_not_done(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Three records were discarded, the stream gives back two: the third is not replayable,
    and the object stays where it is for another try (or a look by hand)."""
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    events = [encode(_call_summary(f"part-{i}")) for i in range(2)]
    puts = [
        aws["kinesis"].put_record(StreamName=aws["stream"], Data=d, PartitionKey="k")
        for d in events
    ]
    key = _batch_info_only(
        aws,
        aws["stream"],
        puts[0]["ShardId"],
        puts[0]["SequenceNumber"],
        puts[1]["SequenceNumber"],
        size=3,
    )

    assert _redrive(aws, "--reason", "on_failure") == 1
    out = capsys.readouterr().out
    assert "2 records (2 of 3 read back from the stream): 2 processed" in out
    assert f"{key}: 1 of 3 records not replayable, left as it is" in out
    assert "processed 2, skipped 0, rejected 0, failed 0, not_replayable 1" in out
    assert "objects moved to redriven/: 0" in out
    assert _keys(aws["s3"], aws["bucket"], "aws/lambda/") == [key]
    assert _keys(aws["s3"], aws["bucket"], "redriven/") == []


def test_the_stream_is_found_by_its_arn_not_its_name(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch of another account's stream of the same name: not this stream's records."""
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    put = aws["kinesis"].put_record(
        StreamName=aws["stream"], Data=encode(_call_summary("other-account")), PartitionKey="k"
    )
    sequence = put["SequenceNumber"]
    key = _batch_info_only(
        aws, aws["stream"], put["ShardId"], sequence, sequence, size=1, account="999999999999"
    )

    assert _redrive(aws, "--reason", "on_failure") == 1
    out = capsys.readouterr().out
    assert f"{key}: not replayable: the stream cannot be read" in out
    assert "processed 0, skipped 0, rejected 0, failed 0, not_replayable 1" in out
    assert _keys(aws["s3"], aws["bucket"], "aws/lambda/") == [key]


def test_the_prefix_defaults_to_the_quarantine_prefix(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The function and redrive read the same QUARANTINE_PREFIX: no --prefix needed."""
    monkeypatch.setenv("QUARANTINE_PREFIX", "held/")
    aws["s3"].create_bucket(Bucket=aws["bucket"])
    aws["kinesis"].put_record(StreamName=aws["stream"], Data=b"not json", PartitionKey="k")
    consume(aws, Recorder())
    (key,) = _keys(aws["s3"], aws["bucket"])
    assert key.startswith("held/not_json/")
    capsys.readouterr()

    assert _redrive(aws, "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"{key}: would be rejected" in out
    assert "processed 0, skipped 0, rejected 1, failed 0" in out
