"""Lambda entry point: a Kinesis batch in, Lambda's partial batch response out."""

from __future__ import annotations

import sys
from typing import Any

from operata_lambda import setup_check  # first: it names a too-old Python before imports fail
from operata_lambda.config import Settings
from operata_lambda.pipeline.batch import Quarantine, batch_item_failures, process_batch
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.sinks.quarantine import LogQuarantine, S3Quarantine, quiet_aws_loggers
from operata_lambda.sinks.report import Report

# The AWS libraries log at WARNING whatever LOG_LEVEL says. The Lambda runtime has imported
# logging before it loads the handler: then the levels are set now, for nothing. Otherwise
# (a fresh interpreter) importing logging would cost about 15 ms of the cold start, and the
# levels are set when the S3 quarantine creates its client, the first use of those libraries.
if "logging" in sys.modules:
    quiet_aws_loggers()

_quarantines: dict[tuple[str, str], S3Quarantine] = {}  # one S3 client per warm container


def _quarantine(settings: Settings, report: Report) -> Quarantine:
    if not settings.quarantine_bucket:
        return LogQuarantine(report)
    key = (settings.quarantine_bucket, settings.quarantine_prefix)
    if key not in _quarantines:
        _quarantines[key] = S3Quarantine(*key)
    return _quarantines[key]


def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    setup_check.check(event)  # setup errors fail the invocation in one line, before any record
    settings = Settings.from_env()
    report = Report(settings)
    raw_records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(raw_records, list):  # not a Kinesis event: nothing to process
        raw_records = []
    records = [KinesisRecord.from_lambda(r) for r in raw_records]
    time_left = getattr(context, "get_remaining_time_in_millis", None)
    outcomes = process_batch(
        records,
        quarantine=_quarantine(settings, report),
        reporter=report,
        time_left_ms=time_left if callable(time_left) else None,
        margin_ms=settings.deadline_margin_ms,
    )
    report.finish(outcomes)
    return {"batchItemFailures": batch_item_failures(outcomes)}
