"""The log: one entry per record, as a text block for people or a JSON line for Logs Insights.

Also warns about schema drift (once per field path per container) and ends each batch with
its metrics in Embedded Metric Format. With REDACT_PII on, every line written goes through
operata_lambda.sinks.redact first (the EMF documents hold counts only).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from operata_lambda.config import LEVELS, Settings
from operata_lambda.events.text import render_unknown, report_block
from operata_lambda.pipeline.kinesis import payload_bytes
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.metrics import emf_documents
from operata_lambda.sinks.redact import labelled
from operata_lambda.sinks.redact import redact as redact_pii

_LEVEL_OF = {
    Status.PROCESSED: "INFO",
    Status.SKIPPED: "INFO",
    Status.REJECTED: "ERROR",
    Status.FAILED: "WARNING",
}

# json.dumps with any option builds a JSONEncoder per call: one for every JSON line instead.
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)

# Field paths already reported as drift by this container (a warm Lambda keeps them).
_drift_reported: set[tuple[str, str]] = set()


class Report:
    """Writes outcomes to a stream (stdout in Lambda, which CloudWatch Logs collects)."""

    def __init__(
        self,
        settings: Settings,
        stream: TextIO | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        """`redact` defaults to sinks.redact when settings.redact_pii is on, else none."""
        self.settings = settings
        self.stream = stream or sys.stdout
        self.json = settings.log_format == "json"
        self.threshold = LEVELS.get(settings.log_level, 20)
        self.redact = (
            redact if redact is not None else (redact_pii if settings.redact_pii else None)
        )

    # --- per record ------------------------------------------------------------------

    def record(self, outcome: Outcome) -> None:
        if outcome.envelope is not None and self._enabled("DEBUG"):
            self._debug_envelope(outcome)
        self._drift(outcome)
        level = _LEVEL_OF[outcome.status]
        if not self._enabled(level):
            return
        if self.json:
            self._write(self._json_line(level, outcome))
        elif outcome.status is Status.PROCESSED:
            self._write(self._text_block(outcome))
        else:
            self._write(self._text_line(outcome))

    def quarantined(self, document: dict[str, Any]) -> None:
        """The quarantine's log fallback (no bucket configured).

        With redaction on, the record's base64 `data` (which no pattern can see into) is
        replaced by its decoded text, redacted, and marked so: the log never holds the raw
        record. Only the S3 quarantine keeps it, in its encrypted bucket.
        """
        if self.redact is not None and isinstance(document.get("data"), str):
            document = {**document, **_redacted_data(document["data"], self.redact)}
            document["error"] = self._error(document.get("error"))
        line = json.dumps({"level": "ERROR", "quarantined": document}, default=str)
        self._write(line if self.json else f"QUARANTINED {line}")

    def finish(self, outcomes: Sequence[Outcome]) -> None:
        """The batch's metrics: EMF documents, one per line (no PII in them: counts only)."""
        s = self.settings
        for doc in emf_documents(
            outcomes, namespace=s.metrics_namespace, service=s.service_name, stage=s.stage
        ):
            self.stream.write(json.dumps(doc) + "\n")

    # --- rendering -------------------------------------------------------------------

    def _text_block(self, outcome: Outcome) -> str:
        """The report block, after one line that traces it to its record."""
        assert outcome.envelope is not None
        trace = f"PROCESSED {_where(outcome)} event_id={outcome.event_id}"
        if outcome.event_type is None:
            block = report_block(
                outcome.envelope, outcome.detail_type, render_unknown(outcome.detail)
            )
        else:
            body = outcome.event_type.render(outcome.detail)
            block = report_block(outcome.envelope, outcome.event_type.title, body)
        return f"{trace}\n{block}"

    def _text_line(self, outcome: Outcome) -> str:
        where = _where(outcome)
        if outcome.status is Status.SKIPPED:
            return f"SKIPPED {where} source={outcome.source}: not an Operata event"
        label = outcome.status.value.upper()
        rule = f" (rule: {outcome.violation.rule})" if outcome.violation else ""
        return f"{label} {where} reason={outcome.reason}: {outcome.message}{rule}"

    def _json_line(self, level: str, outcome: Outcome) -> str:
        r = outcome.record
        entry: dict[str, Any] = {
            "level": level,
            "outcome": outcome.status.value,
            "detailType": outcome.detail_type or None,
            "eventId": outcome.event_id or None,
            "sequenceNumber": r.sequence_number,
            "partitionKey": r.partition_key,
            "shardId": r.shard_id,
        }
        if outcome.status is Status.PROCESSED:
            if outcome.event_type is not None:
                entry.update(outcome.summary)
        else:
            entry.update(
                reason=outcome.reason, message=outcome.message, source=outcome.source or None
            )
            if outcome.violation is not None:
                entry["error"] = self._error(outcome.error())
        return _LINE_ENCODER.encode(entry)

    def _error(self, error: dict[str, Any] | None) -> dict[str, Any] | None:
        """A violation as data; its value hidden when redacting and the field is personal."""
        if error and self.redact is not None and labelled(str(error.get("path", ""))):
            message = str(error.get("message", ""))
            for shown in {str(error.get("value")), repr(error.get("value"))}:
                message = message.replace(shown, "[redacted]")
            return {**error, "value": "[redacted]", "message": message}
        return error

    def _drift(self, outcome: Outcome) -> None:
        for field in outcome.new_fields:
            key = (outcome.detail_type, field.path)
            if key in _drift_reported or not self._enabled("WARNING"):
                continue
            _drift_reported.add(key)
            example = json.dumps(field.example, ensure_ascii=False, default=str)
            if self.redact is not None:  # before cutting: a cut number or address could leak
                example = self.redact(example)
            example = example[:200]
            if self.json:
                self._write(
                    json.dumps(
                        {
                            "level": "WARNING",
                            "message": "schema drift",
                            "detailType": outcome.detail_type,
                            "path": field.path,
                            "jsonType": field.json_type,
                            "example": example,
                            "schemaVersion": outcome.schema_version,
                            "sequenceNumber": outcome.record.sequence_number,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                self._write(
                    f"SCHEMA DRIFT {outcome.detail_type}: new field {field.path} "
                    f"({field.json_type}, e.g. {example}) is not in schema "
                    f"version {outcome.schema_version}"
                )

    def _debug_envelope(self, outcome: Outcome) -> None:
        assert outcome.envelope is not None
        e = outcome.envelope
        envelope = {  # the event as EventBridge sent it, with `time` in UTC
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
        line = json.dumps(
            {"level": "DEBUG", "message": "envelope", "envelope": envelope}, default=str
        )
        self._write(line if self.json else f"DEBUG envelope {line}")

    def _enabled(self, level: str) -> bool:
        return LEVELS[level] >= self.threshold

    def _write(self, text: str) -> None:
        if self.redact is not None:
            text = self.redact(text)
        try:
            self.stream.write(text + "\n")
        except UnicodeEncodeError:  # a lone surrogate (valid JSON "\ud800") on a UTF-8 stream
            self.stream.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def _redacted_data(data: str, redact: Callable[[str], str]) -> dict[str, Any]:
    """A quarantine entry's `data`, as redacted text instead of the record's base64."""
    payload = payload_bytes(data)
    return {
        "data": redact(payload.decode("utf-8", "backslashreplace")),
        "dataEncoding": "text-redacted",  # not the record: PII masked, bytes not kept
        "redacted": True,
    }


def _where(outcome: Outcome) -> str:
    r = outcome.record
    return (
        f"seq={r.sequence_number or '?'} shard={r.shard_id or '?'} "
        f"partition_key={r.partition_key or '?'}"
    )
