"""What happened to one record: the value every part after the batch loop reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from operata_lambda.events.common import Envelope
from operata_lambda.events.registry import EVENT_TYPES, EventType
from operata_lambda.validation.schemas import Violation

if TYPE_CHECKING:  # drift is imported when a record has new fields, not at cold start
    from operata_lambda.pipeline.kinesis import KinesisRecord  # which reads Reason from here
    from operata_lambda.validation.drift import NewField


class Reason(StrEnum):
    """Why a record was skipped, rejected or failed: the `reason=` of its line, a stable code."""

    NOT_OPERATA = "not_operata"  # skipped: an EventBridge event from another source
    NOT_BASE64 = "not_base64"  # rejected: the record's data
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    NOT_EVENTBRIDGE = "not_eventbridge"  # rejected: the envelope
    SCHEMA_INVALID = "schema_invalid"  # rejected: the detail against its schema
    PROCESSING_ERROR = "processing_error"  # rejected (or failed, if even that cannot be written)
    QUARANTINE_UNAVAILABLE = "quarantine_unavailable"  # failed: <sink>_unavailable
    REPORT_UNAVAILABLE = "report_unavailable"
    ARCHIVE_UNAVAILABLE = "archive_unavailable"  # failed: rows not delivered at the flush
    AFTER_FAILURE = "after_failure"  # failed: an earlier record of the batch failed
    DEADLINE = "deadline"  # failed: too little time left in the invocation

    @classmethod
    def unavailable(cls, sink: str) -> str:
        """`<sink>_unavailable`: the member for the project's sinks, the text for another."""
        code = f"{sink}_unavailable"
        return cls._value2member_map_.get(code, code)  # type: ignore[return-value]


class Status(StrEnum):
    PROCESSED = "processed"  # reported
    SKIPPED = "skipped"  # not an Operata event
    REJECTED = "rejected"  # can never succeed as it is: quarantined, not retried
    FAILED = "failed"  # may succeed later: reported in batchItemFailures, Lambda retries


@dataclass
class Outcome:
    record: KinesisRecord
    status: Status
    reason: str = ""  # a Reason ("" for a processed record)
    message: str = ""
    violation: Violation | None = None
    envelope: Envelope | None = None
    detail_type: str = ""
    source: str = ""
    event_type: EventType | None = None  # None for a detail-type with no schema yet
    detail: Any = None  # the typed model, or the raw dict for a type with no schema
    schema_version: str = ""
    new_fields: list[NewField] = field(default_factory=list)
    kept_at: str = ""  # where the quarantine kept a rejected record: the loop sets it from keep()

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The flat summary of a typed event (its JSON log line's fields), made once."""
        return {} if self.event_type is None else self.event_type.summarise(self.detail)

    @cached_property
    def masked_detail(self) -> Any:
        """The envelope's detail as the redacting sinks show it (its type's personal fields by
        path, then the free-text patterns: rendering.redact.masked_detail), made once for the
        log and the archive."""
        from operata_lambda.rendering.redact import masked_detail  # only when redacting

        event_type = EVENT_TYPES.get(self.detail_type)
        detail = self.envelope.detail if self.envelope is not None else None
        return masked_detail(detail, event_type.personal if event_type else {})

    @property
    def event_id(self) -> str:
        return self.envelope.id if self.envelope else ""

    def error(self) -> dict[str, Any] | None:
        """The rule that failed, as data: path, rule, value."""
        if self.violation is None:
            return None
        v = self.violation
        return {"path": v.path, "rule": v.rule, "value": v.value, "message": v.message}
