"""The report sink: one entry per record, as a text block for people or a JSON line for Logs
Insights, written to stdout (which CloudWatch Logs collects).

It filters by LOG_LEVEL, tells schema drift once per field (DriftNotices), adds the decoded
envelope at DEBUG, masks PII when REDACT_PII is on (personal fields by path, then the free-text
patterns, before anything is cut), and passes every line through rendering.safe, so nothing
from an event can start, hide or overflow a line, and no value can make the rendering fail.
When a rejected or failed record's line still cannot be made, a last-resort line is written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TextIO

from operata_lambda.config import LEVELS, Settings
from operata_lambda.jsonio import dumps
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.rendering import lines, safe
from operata_lambda.rendering.drift_notices import MAX_NAMED, DriftNotices
from operata_lambda.rendering.masked import masked
from operata_lambda.rendering.redact import redact as redact_pii
from operata_lambda.sinks.base import SinkUnavailable, Write, nothing
from operata_lambda.validation.drift import NewField

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
        try:
            rendered, named = self._render(outcome)
        except Exception as exc:
            if outcome.status is Status.PROCESSED:
                raise  # the batch loop rejects the record, and that outcome comes here
            rendered, named = [self._last_resort(outcome, exc)], []
        if not rendered:
            return nothing
        return partial(self._write_and_tell, rendered, outcome.detail_type, named)

    def _write_and_tell(self, rendered: list[str], detail_type: str, named: list[NewField]) -> None:
        """A new field is told only once its warning is written."""
        self._write(rendered)
        self.drift.told(detail_type, named)

    def flush(self) -> None:
        """Every line is written as its record is taken: nothing is held."""

    def _render(self, outcome: Outcome) -> tuple[list[str], list[NewField]]:
        """All of a record's lines before any is written (a bug leaves nothing behind), and
        the new fields they name."""
        original = outcome
        if self.redact is not None:
            outcome = masked(
                outcome, text_block=not self.json, envelope_shown=self._enabled("DEBUG")
            )
        rendered: list[str] = []
        if outcome.envelope is not None and self._enabled("DEBUG"):
            rendered.append(self._debug_envelope(outcome))
        named: list[NewField] = []
        if outcome.new_fields and self._enabled("WARNING"):
            fresh = self.drift.untold(original)
            named = fresh[:MAX_NAMED]
            rendered += [self._drift(outcome, f) for f in named]
            if len(fresh) > len(named):
                rendered.append(self._drift_more(outcome, len(fresh) - len(named)))
        level = LEVEL_OF[outcome.status]
        if self._enabled(level):
            if self.json:
                entry = lines.json_entry(level, outcome, self.invocation.request_id)
                if outcome.violation is not None:
                    entry["error"] = outcome.error()
                rendered.append(safe.json_line(entry, self.redact))
            else:
                rendered += [self._text_line(line) for line in lines.text_lines(outcome)]
        return rendered, named

    # --- the parts of an entry -------------------------------------------------------------

    def _text_line(self, line: str) -> str:
        """Redacted, then escaped and cut (redaction first: a cut number could leak)."""
        return safe.text_line(self.redact(line) if self.redact is not None else line)

    def _drift(self, outcome: Outcome, field: NewField) -> str:
        shown = self.redact or str
        example = dumps(safe.bounded(field.example, lambda s: safe.clip(shown(s), 200)))
        example = safe.clip(shown(example), 200)
        if self.json:
            request_id = self.invocation.request_id
            entry = lines.drift_entry(outcome, field, example, request_id)
            return safe.json_line(entry, self.redact)
        return self._text_line(lines.drift_text(outcome, field, example))

    def _drift_more(self, outcome: Outcome, count: int) -> str:
        if self.json:
            entry = lines.drift_more_entry(outcome, count, self.invocation.request_id)
            return safe.json_line(entry, self.redact)
        return self._text_line(lines.drift_more_text(outcome, count))

    def _debug_envelope(self, outcome: Outcome) -> str:
        """The decoded event, tied to its record and invocation (also when the line is cut)."""
        entry = {
            "level": "DEBUG",
            "message": "envelope",
            "sequenceNumber": outcome.record.sequence_number,
            "requestId": self.invocation.request_id,
            "envelope": lines.envelope_document(outcome),
        }
        line = safe.json_line(entry, self.redact)
        return line if self.json else f"DEBUG envelope {line}"

    def _last_resort(self, outcome: Outcome, exc: BaseException) -> str:
        """The line of a record whose own line could not be made: it cannot fail."""
        try:
            where, reason = lines.where(outcome), outcome.reason
            excerpt = f"{type(exc).__name__}; {outcome.message}"
        except Exception:
            where, reason, excerpt = "seq=?", "?", type(exc).__name__
        if self.redact is not None:
            excerpt = self.redact(excerpt)  # all of it: redaction comes before any cut
        message = safe.last_resort_message(excerpt)
        label = outcome.status.value.upper()
        if not self.json:
            return safe.text_line(f"{label} {safe.clip(where, 300)} reason={reason}: {message}")
        entry = {
            "level": LEVEL_OF[outcome.status],
            "outcome": outcome.status.value,
            "reason": reason,
            "message": message,
            "sequenceNumber": outcome.record.sequence_number,
            "requestId": self.invocation.request_id,
        }
        return safe.json_line(entry)

    def _enabled(self, level: str) -> bool:
        return LEVELS[level] >= self.threshold

    def _write(self, rendered: list[str]) -> None:
        if not rendered:
            return
        text = "\n".join(rendered)
        try:
            try:
                self.stream.write(text + "\n")
            except UnicodeEncodeError:  # a lone surrogate (valid JSON "\ud800") on a UTF-8 stream
                safe_text = text.encode("utf-8", "backslashreplace").decode("utf-8")
                self.stream.write(safe_text + "\n")
        except (OSError, ValueError) as exc:  # ValueError: the stream is closed
            raise SinkUnavailable(self.name, exc) from exc
