"""The one wiring of the function: settings -> schemas -> sinks -> the batch loop.

The handler and `python -m operata redrive` both build their sinks with `build_sinks`, so a new
sink is added there once and both get it. What a warm Lambda container keeps between
invocations (the S3 client, the drift already told, whether this is the first invocation)
lives in CONTAINER.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from operata_lambda.config import Settings
from operata_lambda.pipeline.batch import process
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.pipeline.outcomes import Outcome
from operata_lambda.rendering.drift_notices import DriftNotices
from operata_lambda.sinks.archive import FirehoseArchive, LocalArchive, firehose_client
from operata_lambda.sinks.base import Quarantine, Sink, Sinks
from operata_lambda.sinks.metrics import EmfMetrics
from operata_lambda.sinks.quarantine import LocalQuarantine, S3Quarantine
from operata_lambda.sinks.report import Invocation, Report
from operata_lambda.validation.schemas import schema_set


@dataclass
class Container:
    drift: DriftNotices = field(default_factory=DriftNotices)
    s3_quarantines: dict[tuple[str, str], S3Quarantine] = field(default_factory=dict)
    firehose: Any = None  # one Firehose client per warm container, made at the first batch
    cold: bool = True

    def quarantine(self, settings: Settings) -> Quarantine:
        if not settings.quarantine_bucket:
            return LocalQuarantine(settings.quarantine_dir)
        key = (settings.quarantine_bucket, settings.quarantine_prefix)
        if key not in self.s3_quarantines:  # one S3 client per warm container
            self.s3_quarantines[key] = S3Quarantine(*key)
        return self.s3_quarantines[key]

    def archive(self, settings: Settings, time_left_ms: Callable[[], int] | None) -> Sink:
        redact = settings.redact_pii
        if not settings.archive_stream:
            return LocalArchive(settings.archive_dir, redact)
        return FirehoseArchive(
            settings.archive_stream,
            redact=redact,
            time_left_ms=time_left_ms,
            make_client=self.firehose_client,
        )

    def firehose_client(self) -> Any:
        if self.firehose is None:
            self.firehose = firehose_client()
        return self.firehose


CONTAINER = Container()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for a batch, and restored however the block ends.

    Decoding and building a record's model allocate many objects: with the collector on, every
    few hundred allocations it walks the young ones and finds nothing to free (reference
    counting frees a record's objects once its outcome is dropped). What is left for the
    collector after the block is at most one batch's cycles (a batch is at most 6 MB).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_sinks(
    settings: Settings,
    *,
    request_id: str = "",
    stream: TextIO | None = None,
    container: Container | None = None,
    quarantine: Quarantine | None = None,
    metrics: bool = True,
    time_left_ms: Callable[[], int] | None = None,
) -> Sinks:
    """Every sink of a batch, built here only: the quarantine (the settings' bucket or folder,
    unless one is given), the report on `stream` (stdout), unless `metrics` is False the EMF
    metrics on the same stream, and when `settings.archive` is on the archive (its Firehose
    calls start only while `time_left_ms` leaves time for them). Calling it starts an
    invocation: the first in a container is the cold start."""
    container = container or CONTAINER
    cold_start, container.cold = container.cold, False
    stream = stream or sys.stdout
    report = Report(
        settings,
        stream,
        invocation=Invocation(request_id, cold_start),
        drift=container.drift,
    )
    outputs: list[Sink] = [report]
    if metrics:
        outputs.append(EmfMetrics(settings, stream))
    if settings.archive:
        outputs.append(container.archive(settings, time_left_ms))
    return Sinks(quarantine or container.quarantine(settings), tuple(outputs))


def stream(
    records: Sequence[KinesisRecord],
    settings: Settings,
    sinks: Sinks,
    *,
    time_left_ms: Callable[[], int] | None = None,
) -> Iterator[Outcome]:
    """One batch through the sinks (pipeline/batch.py, sinks/base.py). The outcomes come one
    by one, as the records are done; the batch is finished (its sinks flushed) once all are
    read. A record a flush could not make durable comes again, failed, after the others."""
    yield from process(
        records,
        sinks,
        schema_set(settings.schema_dir),
        time_left_ms=time_left_ms,
        margin_ms=settings.deadline_margin_ms,
    )


def run(
    records: Sequence[KinesisRecord], settings: Settings, sinks: Sinks, **options: Any
) -> list[Outcome]:
    """stream(), the final outcome of each record kept, in order (redrive and the tests)."""
    final: dict[int, Outcome] = {}
    for outcome in stream(records, settings, sinks, **options):
        final[id(outcome.record)] = outcome  # a later outcome of a record replaces its first
    return list(final.values())
