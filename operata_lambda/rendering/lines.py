"""What the report says about one record, as text lines for people or JSON entries for Logs
Insights. Pure functions of the outcome; the Report sink chooses, filters and writes.

The words are those of the reference example, so that log searches and metric filters carry
over: `Processing <n> Kinesis records`, `Skipping non-Operata event from source: <source>`,
`Error parsing event: ...` (the record could not be read as a valid Operata event) and
`Error processing event: ...` (the code failed on it).
"""

from __future__ import annotations

from typing import Any

from operata_lambda.events.text import RULE, header, render_unknown
from operata_lambda.pipeline.outcomes import Outcome, Reason, Status
from operata_lambda.validation.drift import NewField


def batch_message(count: int) -> str:
    return f"Processing {count} Kinesis records"


def message(outcome: Outcome) -> str:
    """The record's message, led by the reference's words."""
    if outcome.status is Status.SKIPPED:
        return f"Skipping non-Operata event from source: {outcome.source}"
    if outcome.status is Status.REJECTED:
        words = "Error processing" if outcome.reason == Reason.PROCESSING_ERROR else "Error parsing"
        return f"{words} event: {outcome.message}"
    return outcome.message


def where(outcome: Outcome) -> str:
    r = outcome.record
    return (
        f"seq={r.sequence_number or '?'} shard={r.shard_id or '?'} "
        f"partition_key={r.partition_key or '?'}"
    )


# --- text ----------------------------------------------------------------------------------


def text_lines(outcome: Outcome) -> list[str]:
    """A processed record: a line that traces it, then its report block. Others: one line."""
    if outcome.status is Status.PROCESSED:
        assert outcome.envelope is not None
        if outcome.event_type is None:
            title, body = outcome.detail_type, render_unknown(outcome.detail)
        else:
            title, body = outcome.event_type.title, outcome.event_type.render(outcome.detail)
        trace = f"PROCESSED {where(outcome)} event_id={outcome.event_id}"
        return [trace, *header(outcome.envelope, title), *body, RULE]
    if outcome.status is Status.SKIPPED:
        return [f"SKIPPED {where(outcome)} source={outcome.source}: {message(outcome)}"]
    label = outcome.status.value.upper()
    rule = f" (rule: {outcome.violation.rule})" if outcome.violation else ""
    kept = f" (kept in {outcome.kept_at})" if outcome.kept_at else ""
    return [f"{label} {where(outcome)} reason={outcome.reason}: {message(outcome)}{rule}{kept}"]


def drift_text(outcome: Outcome, field: NewField, example: str) -> str:
    return (
        f"SCHEMA DRIFT {outcome.detail_type}: new field {field.path} "
        f"({field.json_type}, e.g. {example}) is not in schema version {outcome.schema_version}"
    )


def drift_more_text(outcome: Outcome, count: int) -> str:
    return (
        f"SCHEMA DRIFT {outcome.detail_type}: and {count} more new fields "
        f"are not in schema version {outcome.schema_version}"
    )


# --- JSON ----------------------------------------------------------------------------------


def json_entry(level: str, outcome: Outcome, request_id: str) -> dict[str, Any]:
    r = outcome.record
    entry: dict[str, Any] = {
        "level": level,
        "outcome": outcome.status.value,
        "detailType": outcome.detail_type or None,
        "eventId": outcome.event_id or None,
        "sequenceNumber": r.sequence_number,
        "partitionKey": r.partition_key,
        "shardId": r.shard_id,
        "requestId": request_id,
    }
    if outcome.status is Status.PROCESSED:
        if outcome.event_type is not None:
            entry.update(outcome.summary)
    else:
        entry.update(reason=outcome.reason, message=message(outcome), source=outcome.source or None)
        if outcome.kept_at:
            entry["keptAt"] = outcome.kept_at
    return entry


def drift_entry(outcome: Outcome, field: NewField, example: str, request_id: str) -> dict[str, Any]:
    return {
        "level": "WARNING",
        "message": "schema drift",
        "detailType": outcome.detail_type,
        "path": field.path,
        "jsonType": field.json_type,
        "example": example,
        "schemaVersion": outcome.schema_version,
        "sequenceNumber": outcome.record.sequence_number,
        "requestId": request_id,
    }


def drift_more_entry(outcome: Outcome, count: int, request_id: str) -> dict[str, Any]:
    """The new fields a record has beyond those named, counted."""
    return {
        "level": "WARNING",
        "message": "schema drift",
        "detailType": outcome.detail_type,
        "moreNewFields": count,
        "schemaVersion": outcome.schema_version,
        "sequenceNumber": outcome.record.sequence_number,
        "requestId": request_id,
    }


def envelope_document(outcome: Outcome) -> dict[str, Any]:
    """The event as EventBridge sent it, with `time` in UTC (the DEBUG line)."""
    assert outcome.envelope is not None
    e = outcome.envelope
    return {
        "version": e.version,
        "id": e.id,
        "detail-type": e.detail_type,
        "source": e.source,
        "account": e.account,
        "time": e.time.isoformat(),
        "region": e.region,
        "resources": e.resources,
        "detail": e.detail,
    }
