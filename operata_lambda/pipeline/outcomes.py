"""What happened to one record: the value every part after the batch loop reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from operata_lambda.events.models import Envelope
from operata_lambda.events.quality import Overall
from operata_lambda.events.registry import EventType
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.validation.schemas import Violation

if TYPE_CHECKING:  # drift is imported when a record has new fields, not at cold start
    from operata_lambda.validation.drift import NewField


class Status(StrEnum):
    PROCESSED = "processed"  # reported
    SKIPPED = "skipped"  # not an Operata event
    REJECTED = "rejected"  # can never succeed as it is: quarantined, not retried
    FAILED = "failed"  # may succeed later: reported in batchItemFailures, Lambda retries


@dataclass
class Outcome:
    record: KinesisRecord
    status: Status
    reason: str = ""  # a stable code: not_base64, schema_invalid, deadline, ...
    message: str = ""
    violation: Violation | None = None
    envelope: Envelope | None = None
    detail_type: str = ""
    source: str = ""
    event_type: EventType | None = None  # None for a detail-type with no schema yet
    detail: Any = None  # the typed model, or the raw dict for a type with no schema
    schema_version: str = ""
    new_fields: list[NewField] = field(default_factory=list)
    kept_at: str = ""  # where the quarantine keeps a rejected record (s3://... or a file)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The flat summary of a typed event (its JSON log line's fields), made once."""
        return {} if self.event_type is None else self.event_type.summarise(self.detail)

    def call_quality(self) -> tuple[float | None, Overall]:
        """A CallSummary's MOS and overall quality, from its summary (made once per record)."""
        summary = self.summary
        return summary["mos"], _OVERALL[summary["overallQuality"]]

    @property
    def event_id(self) -> str:
        return self.envelope.id if self.envelope else ""

    def error(self) -> dict[str, Any] | None:
        """The rule that failed, as data: path, rule, value."""
        if self.violation is None:
            return None
        v = self.violation
        return {"path": v.path, "rule": v.rule, "value": v.value, "message": v.message}


_OVERALL = {q.value: q for q in Overall}
