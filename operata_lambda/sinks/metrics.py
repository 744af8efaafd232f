"""CloudWatch metrics in Embedded Metric Format (EMF): written to the log per batch, no API calls.

Design (what a CloudWatch user expects: one metric name per quantity, sliced by dimensions):

- The batch document (the last line of a batch's log), dimensions (Service, Stage): Records,
  RecordsProcessed, RecordsSkipped, RecordsRejected, RecordsFailed (zeros included, so alarms
  see 0 rather than missing data), SchemaDriftFields, CallsQualityExcellent / Good / Issues /
  Unknown, and MOS.
- One document per detail-type present in the batch, dimensions (Service, Stage, DetailType):
  Records, RecordsProcessed, RecordsRejected, SchemaDriftFields. A dimension rather than a
  metric name per type (Events.CallSummary, ...) so that one metric can be graphed, searched
  and grouped by type (Metrics Insights: GROUP BY DetailType). EMF gives a dimension one value
  per document, hence one small document per type. DetailType is bounded: the registered
  types, and "Other" for any type Operata adds before it has a schema here.
- MOS is written as the list of every call's MOS (EMF allows up to 100 values per metric in a
  document; more go into further documents). CloudWatch then computes the true average over
  calls (statistic Average), and percentiles and minimums too; an average of per-batch averages
  would weigh a batch of one call like a batch of a hundred.

Never per agent, queue or contact: those belong in the JSON log lines (Logs Insights).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from operata_lambda.config import Settings
from operata_lambda.events.call_summary import CallSummary
from operata_lambda.events.quality import Overall
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.kinesis import is_operata_source
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import SinkUnavailable

MAX_VALUES = 100  # values per metric in one EMF document (the specification's limit)
OTHER_TYPE = "Other"

_QUALITY_METRIC = {q: f"CallsQuality{q.name.capitalize()}" for q in Overall}
_STATUS_METRIC = {s: f"Records{s.value.capitalize()}" for s in Status}
_TYPE_METRICS = ("Records", "RecordsProcessed", "RecordsRejected", "SchemaDriftFields")


class BatchCounts:
    """What the batch's EMF documents count, added up one outcome at a time (so that an outcome
    and its model can be freed as soon as the sinks have taken it)."""

    def __init__(self) -> None:
        self.records = 0
        self.by_status = dict.fromkeys(Status, 0)
        self.drift = 0
        self.quality = dict.fromkeys(Overall, 0)
        self.mos_values: list[float] = []
        self.types: dict[str, list[int]] = {}  # DetailType -> [records, processed, rejected, drift]

    def add(self, o: Outcome) -> None:
        status = o.status
        self.records += 1
        self.by_status[status] += 1
        new_fields = len(o.new_fields)
        self.drift += new_fields
        detail_type = o.detail_type
        if detail_type and is_operata_source(o.source):
            if detail_type not in EVENT_TYPES:
                detail_type = OTHER_TYPE
            counts = self.types.get(detail_type)
            if counts is None:
                counts = self.types[detail_type] = [0, 0, 0, 0]
            counts[0] += 1
            if status is Status.PROCESSED:
                counts[1] += 1
            elif status is Status.REJECTED:
                counts[2] += 1
            counts[3] += new_fields
        # A CallSummary's MOS and overall quality come from its summary, which the JSON log
        # line has usually computed already (Outcome.summary caches it).
        if status is Status.PROCESSED and isinstance(o.detail, CallSummary):
            mos, overall = o.call_quality()
            self.quality[overall] += 1
            if mos is not None:
                self.mos_values.append(mos)

    def documents(
        self, *, namespace: str, service: str, stage: str, now_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """One document per detail-type, further MOS values, the batch one last."""
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
                                {"Name": name, "Unit": "None" if name == "MOS" else "Count"}
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
        for level, name in _QUALITY_METRIC.items():
            batch[name] = self.quality[level]
        mos_values = self.mos_values
        if mos_values:
            batch["MOS"] = mos_values[:MAX_VALUES]
        documents = []
        for detail_type, counts in sorted(self.types.items()):
            values = dict(zip(_TYPE_METRICS, counts, strict=True))
            documents.append(document({**base, "DetailType": detail_type}, values))
        for start in range(MAX_VALUES, len(mos_values), MAX_VALUES):
            documents.append(document(base, {"MOS": mos_values[start : start + MAX_VALUES]}))
        documents.append(document(base, batch))  # last: the line that closes the batch's log
        return documents


def emf_documents(
    outcomes: Sequence[Outcome],
    *,
    namespace: str,
    service: str,
    stage: str,
    now_ms: int | None = None,
) -> list[dict[str, Any]]:
    """The EMF documents of a batch with these outcomes."""
    counts = BatchCounts()
    for outcome in outcomes:
        counts.add(outcome)
    return counts.documents(namespace=namespace, service=service, stage=stage, now_ms=now_ms)


class EmfMetrics:
    """The metrics sink: counts per record; the batch's EMF documents at flush, one per line."""

    def __init__(self, settings: Settings, stream: TextIO | None = None) -> None:
        self.settings = settings
        self.stream = stream or sys.stdout
        self.counts = BatchCounts()

    def take(self, outcome: Outcome) -> None:
        self.counts.add(outcome)

    def flush(self) -> None:
        s = self.settings
        documents = self.counts.documents(
            namespace=s.metrics_namespace, service=s.service_name, stage=s.stage
        )
        self.counts = BatchCounts()
        try:
            self.stream.write("".join(json.dumps(doc) + "\n" for doc in documents))
        except OSError as exc:
            raise SinkUnavailable("metrics", exc) from exc
