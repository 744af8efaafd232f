"""What the archive adds to the per-record cost: the handler with the archive on, over the same
handler with it off, as deployed (JSON logs, redaction on, rows to Firehose).

Firehose itself is replaced by an answer given inside botocore, after the request is built and
signed: the figure holds the rows (built, redacted, encoded), the calls' serialisation and
signing and the answers' parsing, but no network (waiting on I/O costs no CPU).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

STREAM = "bench-archive"


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _every_entry_accepted(request: Any, **_: Any) -> Any:
    from botocore.awsrequest import AWSResponse

    count = request.body.count(b'"Data"')  # one per entry; cheaper than reading the body back
    body = json.dumps(
        {
            "FailedPutCount": 0,
            "Encrypted": True,
            "RequestResponses": [{"RecordId": str(n)} for n in range(count)],
        }
    ).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    return AWSResponse(request.url, 200, headers, _Body(body))


def firehose_answering_locally() -> Any:
    """The sink's own client (its configuration), answered inside botocore."""
    from operata_lambda.sinks.archive import firehose_client

    fake = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench"}
    fake["AWS_SECRET_ACCESS_KEY"] = "bench"
    saved = {name: os.environ.get(name) for name in fake}
    os.environ.update(fake)
    try:
        client = firehose_client()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    client.meta.events.register("before-send.firehose.PutRecordBatch", _every_entry_accepted)
    return client


def archive_overhead(event: dict[str, Any], repeats: int) -> dict[str, Any]:
    import handler
    from operata_lambda import app

    os.environ.pop("QUARANTINE_BUCKET", None)
    os.environ.update(LOG_FORMAT="json", STAGE="dev", REDACT_PII="true", ARCHIVE_STREAM=STREAM)
    app.CONTAINER.firehose = firehose_answering_locally()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - closed below

    def run(archive: bool) -> Callable[[], None]:
        def handle() -> None:
            os.environ["ARCHIVE"] = "true" if archive else "false"
            saved, sys.stdout = sys.stdout, devnull
            try:
                response = handler.handler(event, None)
            finally:
                sys.stdout = saved
            assert archive is False or not response["batchItemFailures"], response

        return handle

    def timed(fn: Callable[[], None]) -> float:
        gc.collect()
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    with_archive, without = run(True), run(False)
    with_archive()  # a warm container: the client's first call made
    without()
    overheads, on_us, off_us = [], [], []
    records = len(event["Records"])
    for _ in range(repeats):
        off = timed(without)
        on = timed(with_archive)
        overheads.append((on / off - 1) * 100)
        on_us.append(on / records * 1e6)
        off_us.append(off / records * 1e6)
    devnull.close()
    os.environ["ARCHIVE"] = "false"
    return {
        "value": round(statistics.median(overheads), 1),
        "records": records,
        "repeats": repeats,
        "handler_us_per_record_archive_on": round(statistics.median(on_us), 1),
        "handler_us_per_record_archive_off": round(statistics.median(off_us), 1),
        "overhead_min_pct": round(min(overheads), 1),
        "overhead_max_pct": round(max(overheads), 1),
    }


def archive_sink_cost(event: dict[str, Any], repeats: int) -> dict[str, Any]:
    """The archive sink's own time per record (each processed outcome's row taken and written,
    then the flush to Firehose), over the handler's with the archive off: fastest of `repeats`
    alternating runs of each, in one process. It leaves out the handler's share of the noise,
    so it moves less between runs than the on/off ratio above."""
    import handler
    from operata_lambda import app
    from operata_lambda.pipeline.batch import examine
    from operata_lambda.pipeline.kinesis import KinesisRecord
    from operata_lambda.sinks.archive import FirehoseArchive
    from operata_lambda.validation.schemas import schema_set

    os.environ.pop("QUARANTINE_BUCKET", None)
    os.environ.update(LOG_FORMAT="json", STAGE="dev", REDACT_PII="true", ARCHIVE="false")
    client = firehose_answering_locally()
    schemas = schema_set("")
    outcomes = [examine(KinesisRecord.from_lambda(r), schemas) for r in event["Records"]]
    devnull = open(os.devnull, "w")  # noqa: SIM115 - closed below

    def sink() -> None:
        archive = FirehoseArchive(STREAM, client=client, redact=True)
        for outcome in outcomes:
            archive.take(outcome)()
        archive.flush()

    def handle() -> None:
        saved, sys.stdout = sys.stdout, devnull
        try:
            handler.handler(event, None)
        finally:
            sys.stdout = saved

    def timed(fn: Callable[[], None]) -> float:
        gc.collect()
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    app.CONTAINER = app.Container()
    sink()
    handle()
    sink_s, handler_s = [], []
    for _ in range(repeats):
        handler_s.append(timed(handle))
        sink_s.append(timed(sink))
    devnull.close()
    records = len(event["Records"])
    return {
        "value": round(min(sink_s) / min(handler_s) * 100, 1),
        "archive_us_per_record": round(min(sink_s) / records * 1e6, 1),
        "handler_us_per_record_archive_off": round(min(handler_s) / records * 1e6, 1),
        "repeats": repeats,
    }
