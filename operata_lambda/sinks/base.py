"""The contract between the batch loop (pipeline/batch.py) and the sinks: what a sink is given,
what it returns, and what each of its failures does to a record.

A batch goes like this:

1. `begin(count)` on every sink but the quarantine: the batch starts (the report's first
   line).
2. For each record, its outcome:
   a. the quarantine keeps it when it is rejected: `Quarantine.keep(outcome)` writes the entry
      and returns where it is ("" for an outcome it does not keep). The loop builds the
      outcome the other sinks get from that answer (`Outcome.kept_at`): no sink reads what
      another wrote.
   b. `take(outcome)` on every other sink: the sink renders and counts (no I/O, no change to
      itself) and returns its `Write` (`nothing` when it has nothing to write). Raising here
      is the code failing on the record (a rendering bug): nothing has been written for it
      yet, so the loop rejects it as `processing_error` and starts again at (a) with that
      outcome, once.
   c. the writes: first those of the sinks that may fail a record, then the others. So
      every sink writes a record once and counts only the outcome it ends with.
3. `flush()` on every sink that may fail a record, then on the others: what a sink held is
   written (a batch put, the metrics' documents).

Failures:

- `SinkUnavailable` from `keep` or a `Write`: the sink could not keep the record (a bucket, a
  stream, a disk). The record is failed for retry with reason `<sink>_unavailable`, and so is
  the rest of the batch (Lambda resumes from the lowest failed sequence number).
- `SinkUnavailable` from `flush`, with `records`: the records the sink had not made durable.
  Every record of the batch from the first of them on that was not failed already becomes
  failed for retry: its line was written, so a FAILED line naming the sink follows, and the
  sinks are given that final outcome (the metrics count it instead of the first one).
- Any other exception from `keep` or a `Write` (a bug in writing, even the rejection's): the
  record is failed for retry as `processing_error`, and so is the rest of the batch. From a
  `flush`: which records the sink held is unknown, so every record not failed already is
  failed as `processing_error` (retried, never lost).

Which sinks may fail a record: the quarantine, the report, an archive (`fails_records` True).
Which never do: the metrics (`fails_records` False): whatever its write or flush raises is
ignored, since a lost metrics line changes no outcome.

The order of the sinks in the list carries no rule: the loop orders what it must, as above.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from operata_lambda.pipeline.kinesis import KinesisRecord
    from operata_lambda.pipeline.outcomes import Outcome

Write = Callable[[], None]  # one record's I/O in a sink; raises SinkUnavailable


def nothing() -> None:
    """The Write of a record a sink has nothing to write for."""


class SinkUnavailable(Exception):
    """A sink could not keep a record, or (from flush) the records it had not made durable."""

    def __init__(
        self, sink: str, cause: BaseException, records: Sequence[KinesisRecord] = ()
    ) -> None:
        super().__init__(f"{sink} unavailable ({type(cause).__name__}: {cause})")
        self.sink = sink
        self.cause = cause
        self.records = tuple(records)


class Sink(Protocol):
    name: str  # names it in a failed record's reason: report -> report_unavailable
    fails_records: bool  # False: never fails a record (metrics); its failures are ignored

    def begin(self, count: int) -> None:
        """The batch of `count` records starts; raise SinkUnavailable on I/O failure."""

    def take(self, outcome: Outcome) -> Write:
        """Render and count the record, without I/O and without changing the sink; return
        the write that keeps it. Raising here is a bug in the code, never a sink failure."""
        ...

    def flush(self) -> None:
        """The batch is over: write what was held; raise SinkUnavailable(records=...) with
        the records not made durable."""


class Quarantine(Protocol):
    name: str

    def keep(self, outcome: Outcome) -> str:
        """Keep a rejected record and return where ("" for any other outcome); raise
        SinkUnavailable when it cannot."""
        ...


@dataclass(frozen=True)
class Sinks:
    """Everything a batch's outcomes go to (app.build_sinks makes it)."""

    quarantine: Quarantine
    outputs: tuple[Sink, ...]  # the report, the metrics, ...: in no particular order
