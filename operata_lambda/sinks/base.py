"""The one interface of everything that leaves the function: a call per record, a flush per batch.

A sink's `take` either writes what it has to write for the record or raises. Two kinds of
failure are told apart by the batch loop:

- `SinkUnavailable`: the sink could not take the record (I/O: a bucket, a stream, a disk).
  The record may succeed later: it is failed for retry, and so are the later records of the
  shard (Lambda resumes from the lowest failed sequence number).
- any other exception: the code failed on this record (a rendering bug, say). The record is
  rejected as `processing_error` and kept in the quarantine; the shard moves on.

A sink that renders does so before it writes anything, so a rendering failure leaves no
partial output behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome


class SinkUnavailable(Exception):
    """A sink could not take a record or a batch; `sink` names it (quarantine, report, ...).

    Raised from `flush`, `records` are those the sink had not made durable: they are failed
    for retry, with every record after the first of them.
    """

    def __init__(
        self, sink: str, cause: BaseException, records: Sequence[KinesisRecord] = ()
    ) -> None:
        super().__init__(f"{sink} unavailable ({type(cause).__name__}: {cause})")
        self.sink = sink
        self.records = tuple(records)


class Sink(Protocol):
    def take(self, outcome: Outcome) -> None:
        """Write this record's part; raise SinkUnavailable on I/O failure."""

    def flush(self) -> None:
        """The batch is over: write what was held (the metrics sink's counts)."""
