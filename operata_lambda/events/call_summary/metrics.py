"""A call's own metrics in the batch's EMF document: how many calls of each overall quality,
and every call's MOS (the metrics sink calls these through EventType.metrics)."""

from __future__ import annotations

from typing import Any

from operata_lambda.events.common import TypeMetrics
from operata_lambda.events.quality import Overall

QUALITY_METRIC = {q.value: f"CallsQuality{q.name.capitalize()}" for q in Overall}


def measure(summary: dict[str, Any]) -> dict[str, float]:
    """A call's metrics: one in its overall quality's count, and its MOS when it has one."""
    measured: dict[str, float] = {QUALITY_METRIC[summary["overallQuality"]]: 1}
    if summary["mos"] is not None:
        measured["MOS"] = summary["mos"]
    return measured


METRICS = TypeMetrics(counts=tuple(QUALITY_METRIC.values()), values=("MOS",), measure=measure)
