"""The report sink: one entry per record, as a text block for people or a JSON line for Logs
Insights, written to stdout (which CloudWatch Logs collects).

It filters by LOG_LEVEL, tells schema drift once per field (DriftNotices), adds the decoded
envelope at DEBUG, masks PII when REDACT_PII is on, and passes every line through rendering.safe,
so nothing from an event can start, hide or overflow a line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TextIO

from operata_lambda.config import LEVELS, Settings
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.rendering import lines, safe
from operata_lambda.rendering.drift_notices import DriftNotices
from operata_lambda.rendering.redact import labelled
from operata_lambda.rendering.redact import redact as redact_pii
from operata_lambda.sinks.base import SinkUnavailable, Write, nothing

LEVEL_OF = {
    Status.PROCESSED: "INFO",
    Status.SKIPPED: "INFO",
    Status.REJECTED: "ERROR",
    Status.FAILED: "WARNING",
}


@dataclass(frozen=True)
class Invocation:
    """What ties a batch's lines together: Lambda's request id, and whether it was a cold start."""

    request_id: str = ""
    cold_start: bool = False


class Report:
    """The report sink (sinks/base.py): it may fail a record, when its stream cannot be written."""

    name = "report"
    fails_records = True

    def __init__(
        self,
        settings: Settings,
        stream: TextIO | None = None,
        *,
        invocation: Invocation | None = None,
        drift: DriftNotices | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        """`redact` defaults to rendering.redact when settings.redact_pii is on, else none."""
        self.stream = stream or sys.stdout
        self.json = settings.log_format == "json"
        self.threshold = LEVELS.get(settings.log_level, 20)
        self.invocation = invocation or Invocation()
        self.drift = drift or DriftNotices()
        self.redact = (
            redact if redact is not None else (redact_pii if settings.redact_pii else None)
        )

    def begin(self, count: int) -> None:
        """The batch's first line: how many records, which invocation."""
        if not self._enabled("INFO"):
            return
        inv = self.invocation
        text = lines.batch_message(count)
        if self.json:
            entry = {
                "level": "INFO",
                "message": text,
                "records": count,
                "requestId": inv.request_id,
                "coldStart": inv.cold_start,
            }
            self._write([safe.json_line(entry)])
        else:
            cold = " cold_start=true" if inv.cold_start else ""
            request = f" request_id={inv.request_id}" if inv.request_id else ""
            self._write([safe.text_line(f"{text}{request}{cold}")])

    def take(self, outcome: Outcome) -> Write:
        """The record's lines, rendered now; written by the returned write."""
        entry: list[str] = []
        level = LEVEL_OF[outcome.status]
        if self._enabled(level):
            if self.json:
                document = lines.json_entry(level, outcome, self.invocation.request_id)
                if outcome.violation is not None:
                    document["error"] = self._error(outcome.error())
                entry.append(safe.json_line(document))
            else:
                entry += [safe.text_line(line) for line in lines.text_lines(outcome)]
        before: list[str] = []
        if outcome.envelope is not None and self._enabled("DEBUG"):
            before.append(self._debug_envelope(outcome))
        if outcome.new_fields and self._enabled("WARNING"):
            # Last: marking a field as told is the one thing take changes in the sink.
            before += [self._drift(outcome, f) for f in self.drift.untold(outcome)]
        rendered = before + entry
        if not rendered:
            return nothing
        text = "\n".join(rendered)
        if self.redact is not None:
            text = self.redact(text)
        return partial(self._write_text, text)

    def flush(self) -> None:
        """Every line is written as its record is taken: nothing is held."""

    # --- the parts of an entry -------------------------------------------------------------

    def _error(self, error: dict[str, Any] | None) -> dict[str, Any] | None:
        """A violation as data; its value hidden when redacting and the field is personal."""
        if error and self.redact is not None and labelled(str(error.get("path", ""))):
            message = str(error.get("message", ""))
            for shown in {str(error.get("value")), repr(error.get("value"))}:
                message = message.replace(shown, "[redacted]")
            return {**error, "value": "[redacted]", "message": message}
        return error

    def _drift(self, outcome: Outcome, field: Any) -> str:
        example = json.dumps(field.example, ensure_ascii=False, default=str)
        if self.redact is not None:  # before cutting: a cut number or address could leak
            example = self.redact(example)
        example = example[:200]
        if self.json:
            request_id = self.invocation.request_id
            return safe.json_line(lines.drift_entry(outcome, field, example, request_id))
        return safe.text_line(lines.drift_text(outcome, field, example))

    def _debug_envelope(self, outcome: Outcome) -> str:
        entry = {
            "level": "DEBUG",
            "message": "envelope",
            "envelope": lines.envelope_document(outcome),
        }
        if self.json:
            return safe.json_line({**entry, "requestId": self.invocation.request_id})
        return f"DEBUG envelope {safe.json_line(entry)}"

    def _enabled(self, level: str) -> bool:
        return LEVELS[level] >= self.threshold

    def _write(self, rendered: list[str]) -> None:
        if not rendered:
            return
        text = "\n".join(rendered)
        if self.redact is not None:
            text = self.redact(text)
        self._write_text(text)

    def _write_text(self, text: str) -> None:
        try:
            try:
                self.stream.write(text + "\n")
            except UnicodeEncodeError:  # a lone surrogate (valid JSON "\ud800") on a UTF-8 stream
                safe_text = text.encode("utf-8", "backslashreplace").decode("utf-8")
                self.stream.write(safe_text + "\n")
        except (OSError, ValueError) as exc:  # ValueError: the stream is closed
            raise SinkUnavailable(self.name, exc) from exc
