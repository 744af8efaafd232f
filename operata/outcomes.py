"""What happened to one record: the value every part after the batch loop reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from operata.drift import NewField
from operata.kinesis import KinesisRecord
from operata.models import Envelope
from operata.registry import EventType
from operata.schemas import Violation


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

    @property
    def event_id(self) -> str:
        return self.envelope.id if self.envelope else ""

    def error(self) -> dict[str, Any] | None:
        """The rule that failed, as data: path, rule, value."""
        if self.violation is None:
            return None
        v = self.violation
        return {"path": v.path, "rule": v.rule, "value": v.value, "message": v.message}
