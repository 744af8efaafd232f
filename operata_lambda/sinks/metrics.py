"""CloudWatch metrics in Embedded Metric Format (EMF): written to the log per batch, no API calls.

Design (what a CloudWatch user expects: one metric name per quantity, sliced by dimensions):

- The batch document (the last line of a batch's log), dimensions (Service, Stage): Records,
  RecordsProcessed, RecordsSkipped, RecordsRejected, RecordsFailed (zeros included, so alarms
  see 0 rather than missing data), SchemaDriftFields, then each type's own metrics
  (EventType.metrics: the calls' quality counts and MOS, say), its counts zeros included.
- One document per detail-type present in the batch, dimensions (Service, Stage, DetailType):
  Records, RecordsProcessed, RecordsRejected, SchemaDriftFields. A dimension rather than a
  metric name per type (Events.<type>, ...) so that one metric can be graphed, searched
  and grouped by type (Metrics Insights: GROUP BY DetailType). EMF gives a dimension one value
  per document, hence one small document per type. DetailType is bounded: the registered
  types, and "Other" for any type Operata adds before it has a schema here.
- A type's value metric (MOS) is written as the list of every record's value (EMF allows up to
  100 values per metric in a document; more go into further documents). CloudWatch then
  computes the true average over calls (statistic Average), and percentiles and minimums too;
  an average of per-batch averages would weigh a batch of one call like a batch of a hundred.

Never per agent, queue or contact: those belong in the JSON log lines (Logs Insights).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES, known_or_other
from operata_lambda.pipeline.kinesis import is_operata_source
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import SinkUnavailable, Write

MAX_VALUES = 100  # values per metric in one EMF document (the specification's limit)

_STATUS_METRIC = {s: f"Records{s.value.capitalize()}" for s in Status}
_TYPE_METRICS = ("Records", "RecordsProcessed", "RecordsRejected", "SchemaDriftFields")
# The types' own metrics (EventType.metrics), in the batch document after the counts above.
_OWN_COUNTS = [name for t in EVENT_TYPES.values() if t.metrics for name in t.metrics.counts]
_OWN_VALUES = [name for t in EVENT_TYPES.values() if t.metrics for name in t.metrics.values]


@dataclass(frozen=True)
class Tally:
    """What one record adds to the batch's documents."""

    status: Status
    detail_type: str  # the DetailType dimension; "" for a record of no Operata type
    drift: int
    own: dict[str, float]  # the type's own metrics (EventType.metrics), for a processed record


def tally(outcome: Outcome) -> Tally:
    """The record's part of the metrics; a processed record's type measures its own."""
    detail_type = outcome.detail_type
    if detail_type and is_operata_source(outcome.source):
        detail_type = known_or_other(detail_type)
    else:
        detail_type = ""
    event_type = outcome.event_type
    own: dict[str, float] = {}
    if outcome.status is Status.PROCESSED and event_type is not None and event_type.metrics:
        metrics = event_type.metrics
        own = metrics.measure(outcome.summary)
        undeclared = set(own) - set(metrics.counts) - set(metrics.values)
        if undeclared:  # a bug in the type's module: the record is rejected, not miscounted
            raise ValueError(f"metrics not declared in {detail_type}'s TypeMetrics: {undeclared}")
    return Tally(outcome.status, detail_type, len(outcome.new_fields), own)


class BatchCounts:
    """The batch's EMF documents, made from the tally of each record's final outcome."""

    def __init__(self, tallies: Iterable[Tally] = ()) -> None:
        self.records = 0
        self.by_status = dict.fromkeys(Status, 0)
        self.drift = 0
        self.own_counts = dict.fromkeys(_OWN_COUNTS, 0)
        self.own_values: dict[str, list[float]] = {name: [] for name in _OWN_VALUES}
        self.types: dict[str, list[int]] = {}  # DetailType -> [records, processed, rejected, drift]
        for one in tallies:
            self.add(one)

    def add(self, one: Tally) -> None:
        status = one.status
        self.records += 1
        self.by_status[status] += 1
        self.drift += one.drift
        if one.detail_type:
            counts = self.types.get(one.detail_type)
            if counts is None:
                counts = self.types[one.detail_type] = [0, 0, 0, 0]
            counts[0] += 1
            if status is Status.PROCESSED:
                counts[1] += 1
            elif status is Status.REJECTED:
                counts[2] += 1
            counts[3] += one.drift
        for name, value in one.own.items():
            if name in self.own_values:
                self.own_values[name].append(value)
            else:
                self.own_counts[name] += int(value)

    def documents(
        self, *, namespace: str, service: str, stage: str, now_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """One document per detail-type, further values, the batch one last."""
        timestamp = now_ms if now_ms is not None else int(time.time() * 1000)
        base = {"Service": service, "Stage": stage}

        def document(dimensions: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
            return {
                "_aws": {
                    "Timestamp": timestamp,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": namespace,
                            "Dimensions": [list(dimensions)],
                            "Metrics": [
                                {"Name": name, "Unit": "None" if name in _OWN_VALUES else "Count"}
                                for name in values
                            ],
                        }
                    ],
                },
                **dimensions,
                **values,
            }

        batch: dict[str, Any] = {"Records": self.records}
        for status, count in self.by_status.items():
            batch[_STATUS_METRIC[status]] = count
        batch["SchemaDriftFields"] = self.drift
        batch.update(self.own_counts)
        for name, listed in self.own_values.items():
            if listed:
                batch[name] = listed[:MAX_VALUES]
        documents = []
        for detail_type, counts in sorted(self.types.items()):
            values = dict(zip(_TYPE_METRICS, counts, strict=True))
            documents.append(document({**base, "DetailType": detail_type}, values))
        for name, listed in self.own_values.items():
            for start in range(MAX_VALUES, len(listed), MAX_VALUES):
                documents.append(document(base, {name: listed[start : start + MAX_VALUES]}))
        documents.append(document(base, batch))  # last: the line that closes the batch's log
        return documents


class EmfMetrics:
    """The metrics sink: a tally per record; the batch's EMF documents at flush, one per line.

    It never fails a record (a lost metrics line changes no outcome). A record taken again
    (failed after a sink's flush) replaces its first tally: the metrics count final outcomes.
    """

    name = "metrics"
    fails_records = False

    def __init__(self, settings: Settings, stream: TextIO | None = None) -> None:
        self.settings = settings
        self.stream = stream or sys.stdout
        self.tallies: dict[int, Tally] = {}  # by the record object: one per record of the batch

    def begin(self, count: int) -> None:
        self.tallies = {}

    def take(self, outcome: Outcome) -> Write:
        one = tally(outcome)
        key = id(outcome.record)  # the batch holds its records until flush: ids stay unique

        def write() -> None:
            self.tallies[key] = one

        return write

    def flush(self) -> None:
        s = self.settings
        counts = BatchCounts(self.tallies.values())
        self.tallies = {}
        documents = counts.documents(
            namespace=s.metrics_namespace, service=s.service_name, stage=s.stage
        )
        try:
            self.stream.write("".join(json.dumps(doc) + "\n" for doc in documents))
        except OSError as exc:
            raise SinkUnavailable(self.name, exc) from exc
