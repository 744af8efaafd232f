"""CallSummary: one call's quality, agent and machine.

model.py holds the dataclasses, report.py the report block and the summary, metrics.py the
call's own metrics (quality counts, MOS).
"""

from __future__ import annotations

from operata_lambda.events.call_summary.metrics import METRICS
from operata_lambda.events.call_summary.model import PERSONAL, CallSummary
from operata_lambda.events.call_summary.report import render, summarise
from operata_lambda.events.common import EventType

__all__ = ["EVENT_TYPE", "CallSummary"]

EVENT_TYPE = EventType(
    detail_type="CallSummary",
    title="Call Summary",
    model=CallSummary,
    render=render,
    summarise=summarise,
    metrics=METRICS,
    personal=PERSONAL,
)
