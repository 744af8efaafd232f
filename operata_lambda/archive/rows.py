"""The archive's row: what one processed event becomes in the `events` table.

COLUMNS is the table's schema: the Glue table in serverless.yml, the local DuckDB view and the
rows written here all follow it (a test keeps them equal). A row also carries the two partition
keys (PARTITIONS): Firehose reads them to choose the S3 prefix, and the Parquet files do not
hold them (they are the folder names, as in the local archive).

Each type module gives its summary fields through `EventType.archive`, and where its contact id
is through `EventType.contact_id`. The whole detail is kept as JSON text, so a field Operata adds
later can be queried before it gets a column of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from operata_lambda.events.registry import known_or_other
from operata_lambda.jsonio import dumps
from operata_lambda.pipeline.outcomes import Outcome
from operata_lambda.rendering.redact import redact_value

# name -> Glue (Hive) type; the order is the table's.
COLUMNS: dict[str, str] = {
    "event_id": "string",
    "sent_detail_type": "string",  # as Operata sent it; the partition says Other for new types
    "event_time": "timestamp",
    "arrival_time": "timestamp",  # when Kinesis received the record
    "sequence_number": "string",
    "shard_id": "string",
    "schema_version": "string",
    "contact_id": "string",
    "queue": "string",
    "agent": "string",
    "direction": "string",
    "duration_sec": "double",
    "mos": "double",
    "packet_loss_inbound_pct": "double",
    "packet_loss_outbound_pct": "double",
    "overall_quality": "string",
    "isp": "string",
    "insight_count": "int",
    "insight_tags": "array<string>",
    "insight_severity": "string",
    "issue_id": "string",
    "issue_category": "string",
    "issue_cause": "string",
    "issue_severity": "string",
    "softphone_error": "string",
    "headset_model": "string",
    "background_noise_db": "double",
    "cross_talk_pct": "double",
    "misaligned_boom_arm_count": "int",
    "device_mute_count": "int",
    "detail": "string",  # the whole detail as JSON; null when it was too big (detail_omitted)
    "detail_omitted": "boolean",
}
PARTITIONS: dict[str, str] = {"detail_type": "string", "event_date": "string"}

# Firehose takes records of at most 1,000 KiB; the newline after each row counts too.
MAX_ROW_BYTES = 1000 * 1024 - 1
_CLIP = 1000  # characters kept of a summary text when a row is still too big without detail

_EMPTY = dict.fromkeys(COLUMNS)


def timestamp(moment: datetime) -> str:
    """2023-06-01 05:00:13.000: UTC, as Firehose's JSON reader parses a timestamp."""
    return moment.astimezone(UTC).isoformat(" ", "milliseconds")[:23]


def by_path(detail: Any, path: str) -> Any:
    """The value at a dotted path of the detail, or None where the path leads nowhere."""
    value = detail
    for key in path.split(".") if path else ():
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _typed(kind: str, value: Any) -> Any:
    """The value as its column holds it; None where it has another type (text for a number)."""
    if value is None:
        return None
    if kind in ("string", "timestamp"):  # a timestamp is text, as timestamp() writes it
        return value if isinstance(value, str) else dumps(value)
    if kind == "array<string>":
        items = value if isinstance(value, list) else [value]
        return [item if isinstance(item, str) else dumps(item) for item in items]
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if kind == "int":
        return int(value) if float(value).is_integer() and abs(value) < 2**31 else None
    return float(value)


def row(outcome: Outcome, redact: bool = False) -> dict[str, Any]:
    """The archive row of a processed outcome: the columns, then the two partition keys.

    With `redact`, the log's masking applies to what comes from the event's own values: the
    detail through masked_detail (personal fields by path, then the free-text patterns), the
    contact id and the type's summary fields through the free-text patterns (the identifiers
    and times are the record's).
    """
    envelope = outcome.envelope
    if envelope is None:
        raise ValueError("only a processed record with its envelope has an archive row")
    record = outcome.record
    built = dict(_EMPTY)
    event_type = outcome.event_type
    if event_type is not None:
        summary = event_type.archive(outcome.detail)
        unknown = summary.keys() - _EMPTY.keys()
        if unknown:
            raise ValueError(f"no archive column for {', '.join(sorted(unknown))}")
        summary["contact_id"] = by_path(envelope.detail, event_type.contact_id)
        for name, value in summary.items():
            value = _typed(COLUMNS[name], value)
            built[name] = redact_value(value) if redact and value is not None else value
    detail = outcome.masked_detail if redact else envelope.detail
    event_time = timestamp(envelope.time)
    built.update(
        event_id=envelope.id,
        sent_detail_type=outcome.detail_type,
        event_time=event_time,
        arrival_time=(
            None
            if record.arrival_time is None
            else timestamp(datetime.fromtimestamp(record.arrival_time, UTC))
        ),
        sequence_number=record.sequence_number,
        shard_id=record.shard_id,
        schema_version=outcome.schema_version or None,
        detail=dumps(detail),
        detail_omitted=False,
        detail_type=known_or_other(outcome.detail_type),
        event_date=event_time[:10],
    )
    return built


def encoded(built: dict[str, Any]) -> bytes:
    """The row as one JSON line, within Firehose's record limit: a detail too big is left out
    (detail_omitted), and if the summary alone is still too big its texts are clipped."""
    line = dumps(built).encode("utf-8")
    if len(line) <= MAX_ROW_BYTES:
        return line + b"\n"
    built = {**built, "detail": None, "detail_omitted": True}
    line = dumps(built).encode("utf-8")
    if len(line) > MAX_ROW_BYTES:
        built = {name: _clipped(value) for name, value in built.items()}
        line = dumps(built).encode("utf-8")
    return line + b"\n"


def _clipped(value: Any) -> Any:
    if isinstance(value, str):
        return value[:_CLIP]
    if isinstance(value, list):
        return [_clipped(item) for item in value[: _CLIP // 10]]
    return value
