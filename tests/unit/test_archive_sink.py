"""The archive sink: rows of processed records only, PutRecordBatch in as few calls as the limits
allow, failed entries sent again, and the records not archived failed for retry (nothing lost).

Firehose's answers are injected with botocore's Stubber (moto's Firehose never reports a failed
entry); an unreachable endpoint is a closed port on loopback.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.stub import Stubber

from operata_lambda.config import Settings
from operata_lambda.pipeline.batch import batch_item_failures, process
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Status
from operata_lambda.sinks import archive
from operata_lambda.sinks.archive import FirehoseArchive, LocalArchive
from operata_lambda.sinks.base import Sinks, SinkUnavailable
from operata_lambda.sinks.quarantine import LocalQuarantine
from operata_lambda.validation.schemas import schema_set
from tests.helpers import SOURCES, encode, records_of, run_batch, source_event
from tests.localaws import free_port

STREAM = "operata-archive"


def client(endpoint: str = "https://firehose.us-east-1.amazonaws.com") -> Any:
    return boto3.client(
        "firehose",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )


def calls_of(count: int, name: str = "CallSummary") -> list[KinesisRecord]:
    """`count` distinct processed records of one sample."""
    event = source_event(name)
    payloads = []
    for n in range(count):
        event["id"] = f"event-{n}"
        payloads.append(encode(event))
    return records_of(*payloads)


def answer(entries: int, failed: set[int] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "FailedPutCount": len(failed),
        "Encrypted": True,
        "RequestResponses": [
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
            if n in failed
            else {"RecordId": f"r{n}"}
            for n in range(entries)
        ],
    }


def run(records: list[KinesisRecord], sink: Any) -> list[Any]:
    """Every outcome the batch loop gives, the archive the only sink beside the quarantine."""
    quarantine = LocalQuarantine(tempfile.mkdtemp())
    return list(process(records, Sinks(quarantine, (sink,)), schema_set("")))


def sent_ids(params: dict[str, Any]) -> list[str]:
    return [json.loads(entry["Data"])["event_id"] for entry in params["Records"]]


def test_rows_go_in_calls_of_at_most_500() -> None:
    firehose = client()
    records = calls_of(1001)
    seen: list[int] = []
    with Stubber(firehose) as stub:
        for size in (500, 500, 1):
            stub.add_response("put_record_batch", answer(size))
        firehose.meta.events.register(
            "provide-client-params.firehose.PutRecordBatch",
            lambda params, **_: seen.append(len(params["Records"])),
        )
        outcomes = run(records, FirehoseArchive(STREAM, firehose, sleep=lambda _: None))
        stub.assert_no_pending_responses()
    assert batch_item_failures(outcomes) == []
    assert seen == [500, 500, 1]


def test_rows_go_in_calls_of_at_most_4_mib() -> None:
    firehose = client()
    event = source_event("CallSummary")
    event["detail"]["padding"] = "x" * 900_000  # about 0.9 MB a row: four rows fill a call
    payloads = []
    for n in range(9):
        event["id"] = f"big-{n}"
        payloads.append(encode(event))
    seen: list[int] = []
    with Stubber(firehose) as stub:
        for size in (4, 4, 1):
            stub.add_response("put_record_batch", answer(size))
        firehose.meta.events.register(
            "provide-client-params.firehose.PutRecordBatch",
            lambda params, **_: seen.append(len(params["Records"])),
        )
        sink = FirehoseArchive(STREAM, firehose, sleep=lambda _: None)
        outcomes = run(records_of(*payloads), sink)
        stub.assert_no_pending_responses()
    assert batch_item_failures(outcomes) == []
    assert seen == [4, 4, 1]


def test_entries_reported_failed_are_sent_again_and_only_those() -> None:
    firehose = client()
    records = calls_of(5)
    seen: list[list[str]] = []
    with Stubber(firehose) as stub:
        stub.add_response("put_record_batch", answer(5, failed={1, 3}))
        stub.add_response("put_record_batch", answer(2))
        firehose.meta.events.register(
            "provide-client-params.firehose.PutRecordBatch",
            lambda params, **_: seen.append(sent_ids(params)),
        )
        outcomes = run(records, FirehoseArchive(STREAM, firehose, sleep=lambda _: None))
        stub.assert_no_pending_responses()
    assert seen == [[f"event-{n}" for n in range(5)], ["event-1", "event-3"]]
    assert batch_item_failures(outcomes) == []


def test_entries_that_keep_failing_fail_their_records_and_the_later_ones() -> None:
    firehose = client()
    records = calls_of(6)
    with Stubber(firehose) as stub:
        stub.add_response("put_record_batch", answer(6, failed={2, 4}))
        for _ in range(archive.ATTEMPTS - 1):
            stub.add_response("put_record_batch", answer(2, failed={0, 1}))
        outcomes = run(records, FirehoseArchive(STREAM, firehose, sleep=lambda _: None))
        stub.assert_no_pending_responses()
    failed = batch_item_failures(outcomes)
    # Lambda retries from the lowest failed sequence number: from record 2 on, nothing lost.
    assert [f["itemIdentifier"] for f in failed] == [r.sequence_number for r in records[2:]]
    last = [o for o in outcomes if o.status is Status.FAILED]
    assert {o.reason for o in last} == {"archive_unavailable"}
    assert "ServiceUnavailableException" in last[0].message


def test_a_failed_call_fails_that_call_and_every_later_one() -> None:
    firehose = client()
    records = calls_of(700)
    with Stubber(firehose) as stub:
        stub.add_response("put_record_batch", answer(500))
        for _ in range(archive.ATTEMPTS):
            stub.add_client_error("put_record_batch", "ServiceUnavailableException")
        outcomes = run(records, FirehoseArchive(STREAM, firehose, sleep=lambda _: None))
        stub.assert_no_pending_responses()
    failed = [f["itemIdentifier"] for f in batch_item_failures(outcomes)]
    assert failed == [r.sequence_number for r in records[500:]]


def test_an_unreachable_endpoint_fails_every_record_for_retry() -> None:
    firehose = client(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    records = calls_of(3)
    outcomes = run(records, FirehoseArchive(STREAM, firehose, sleep=lambda _: None))
    failed = [o for o in outcomes if o.status is Status.FAILED]
    assert [o.record for o in failed] == records
    assert "EndpointConnectionError" in failed[0].message


def test_no_attempt_starts_without_the_time_for_it() -> None:
    firehose = client()
    records = calls_of(2)
    with Stubber(firehose) as stub:  # no response queued: a call would fail the test
        sink = FirehoseArchive(STREAM, firehose, time_left_ms=lambda: archive.ATTEMPT_BUDGET_MS - 1)
        outcomes = run(records, sink)
        stub.assert_no_pending_responses()
    assert [f["itemIdentifier"] for f in batch_item_failures(outcomes)] == [
        r.sequence_number for r in records
    ]


def test_skipped_rejected_and_failed_records_have_no_row(tmp_path: Path) -> None:
    good = encode(source_event("CallSummary"))
    not_operata = source_event("CallSummary")
    not_operata["source"] = "aws.ec2"
    records = records_of(good, b"not json", encode(not_operata))
    sink = LocalArchive(str(tmp_path))
    outcomes = run(records, sink)
    assert [o.status for o in outcomes] == [Status.PROCESSED, Status.REJECTED, Status.SKIPPED]
    rows = [
        json.loads(line) for f in tmp_path.rglob("*.json") for line in f.read_text().splitlines()
    ]
    assert [r["event_id"] for r in rows] == [source_event("CallSummary")["id"]]


def test_the_local_archive_is_laid_out_as_the_bucket(tmp_path: Path) -> None:
    names = sorted(p.stem for p in SOURCES.glob("*.json"))
    events = [source_event(n) for n in names]
    records = records_of(*(encode(e) for e in events))
    run_batch(records, Settings(archive=True, archive_dir=str(tmp_path)))
    folders = {p.parent.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json")}
    assert folders == {f"detail_type={row_type(e)}/event_date={e['time'][:10]}" for e in events}
    again = run_batch(records, Settings(archive=True, archive_dir=str(tmp_path)))[0]
    assert all(o.status is Status.PROCESSED for o in again)
    lines = [line for f in tmp_path.rglob("*.json") for line in f.read_text().splitlines()]
    assert len(lines) == len(events)  # the same batch again rewrites its files
    assert all("detail_type" not in json.loads(line) for line in lines)


def row_type(event: dict[str, Any]) -> str:
    from operata_lambda.events.registry import EVENT_TYPES

    return str(event["detail-type"]) if event["detail-type"] in EVENT_TYPES else "Other"


def test_a_records_identifiers_cannot_move_the_local_file(tmp_path: Path) -> None:
    (record,) = calls_of(1)
    hostile = dataclasses.replace(record, shard_id="../../outside", sequence_number="a/b\\c")
    archive_dir = tmp_path / "archive"
    outcomes = run([hostile], LocalArchive(str(archive_dir)))
    assert batch_item_failures(outcomes) == []
    (written,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written.parent.parent.parent == archive_dir
    assert "/" not in written.name and ".." not in written.name


def test_a_local_archive_that_cannot_be_written_fails_the_records(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    records = calls_of(2)
    outcomes = run(records, LocalArchive(str(blocker / "archive")))
    assert len(batch_item_failures(outcomes)) == 2


def test_sink_unavailable_names_the_records() -> None:
    records = calls_of(1)
    error = SinkUnavailable("archive", OSError("disk full"), records)
    assert error.records == tuple(records) and "archive unavailable" in str(error)
