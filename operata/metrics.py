"""CloudWatch metrics in Embedded Metric Format: one JSON document per batch, no API calls."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from operata.formatting import call_metrics
from operata.models import CallSummary
from operata.outcomes import Outcome, Status
from operata.quality import overall_quality


def emf_document(
    outcomes: Sequence[Outcome],
    *,
    namespace: str,
    service: str,
    stage: str,
    drift_fields: int,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """Counts by outcome, by detail-type and by call quality, the MOS average, drift count.

    Dimensions are few and bounded (Service, Stage): never per agent or per contact. Counts
    per detail-type and per quality are separate metric names, not dimensions, so that one
    document covers the whole batch.
    """
    values: dict[str, float] = {"Records": len(outcomes), "SchemaDriftFields": drift_fields}
    by_status = Counter(o.status for o in outcomes)
    for status in Status:
        values[f"Records{status.value.capitalize()}"] = by_status[status]
    types = Counter(o.detail_type or "Unknown" for o in outcomes if o.status is Status.PROCESSED)
    for detail_type, count in sorted(types.items()):
        values[f"Events.{_metric_safe(detail_type)}"] = count
    mos_values: list[float] = []
    quality: Counter[str] = Counter()
    for o in outcomes:
        if o.status is Status.PROCESSED and isinstance(o.detail, CallSummary):
            mos, inbound, outbound = call_metrics(o.detail)
            quality[overall_quality(mos, inbound, outbound).name.capitalize()] += 1
            if mos is not None:
                mos_values.append(mos)
    for name, count in sorted(quality.items()):
        values[f"CallsQuality{name}"] = count
    units = {name: "Count" for name in values}
    if mos_values:
        values["MosAverage"] = round(sum(mos_values) / len(mos_values), 4)
        units["MosAverage"] = "None"
    return {
        "_aws": {
            "Timestamp": now_ms if now_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["Service", "Stage"]],
                    "Metrics": [{"Name": n, "Unit": u} for n, u in units.items()],
                }
            ],
        },
        "Service": service,
        "Stage": stage,
        **values,
    }


def _metric_safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._-")[:200] or "Unknown"
