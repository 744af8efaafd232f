"""Lambda entry point: a Kinesis batch in, Lambda's partial batch response out."""

from __future__ import annotations

import sys
from typing import Any

import operata_lambda.setup_check as setup_check  # first: names a wrong setup, not an ImportError
from operata_lambda import app
from operata_lambda.aws import quiet_aws_loggers
from operata_lambda.pipeline.batch import batch_item_failures
from operata_lambda.pipeline.kinesis import KinesisRecord

# The AWS libraries log at WARNING whatever LOG_LEVEL says. The Lambda runtime has imported
# logging before it loads the handler: then the levels are set now, for nothing. Otherwise
# (a fresh interpreter) logging is left to be imported when an AWS client is made, the first
# use of those libraries, so that a cold start does not pay for it.
if "logging" in sys.modules:
    quiet_aws_loggers()


def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    # Setup errors (settings, schema files, the event's shape) fail the invocation in one line.
    settings = setup_check.settings()
    setup_check.check(event, settings.schema_dir)
    raw_records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(raw_records, list):  # not a Kinesis event: nothing to process
        raw_records = []
    time_left = getattr(context, "get_remaining_time_in_millis", None)
    with app.collector_paused():
        request_id = str(getattr(context, "aws_request_id", "") or "")
        outcomes = app.stream(
            [KinesisRecord.from_lambda(r) for r in raw_records],
            settings,
            app.build_sinks(settings, request_id=request_id),
            time_left_ms=time_left if callable(time_left) else None,
        )
        failures = batch_item_failures(outcomes)  # keeps the failed ones only
    return {"batchItemFailures": failures}
