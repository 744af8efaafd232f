"""Lambda entry point: a Kinesis batch in, Lambda's partial batch response out."""

from __future__ import annotations

import logging
from typing import Any

from operata.config import Settings
from operata.kinesis import KinesisRecord
from operata.output import Report
from operata.processor import Quarantine, batch_item_failures, process_batch
from operata.quarantine import LogQuarantine, S3Quarantine

for _library in ("botocore", "boto3", "urllib3", "s3transfer"):  # quiet whatever LOG_LEVEL says
    logging.getLogger(_library).setLevel(logging.WARNING)

_quarantines: dict[tuple[str, str], S3Quarantine] = {}  # one S3 client per warm container


def _quarantine(settings: Settings, report: Report) -> Quarantine:
    if not settings.quarantine_bucket:
        return LogQuarantine(report)
    key = (settings.quarantine_bucket, settings.quarantine_prefix)
    if key not in _quarantines:
        _quarantines[key] = S3Quarantine(*key)
    return _quarantines[key]


def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    settings = Settings.from_env()
    report = Report(settings)
    raw_records = event.get("Records") if isinstance(event, dict) else None
    records = [KinesisRecord.from_lambda(r) for r in raw_records or []]
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
