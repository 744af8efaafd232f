"""Everything one detail-type needs, found by its name: title, model, renderings.

Adding a type means a schema file in schemas/, a model in models.py, two renderings in
formatting.py and one entry here. The schema itself is found by the same name (schemas.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from operata_lambda.events import formatting, models


@dataclass(frozen=True)
class EventType:
    title: str  # as shown in reports: "Call Summary"
    model: type[Any]
    render: Callable[[Any], list[str]]
    summarise: Callable[[Any], dict[str, Any]]


EVENT_TYPES: dict[str, EventType] = {
    "CallSummary": EventType(
        "Call Summary",
        models.CallSummary,
        formatting.render_call_summary,
        formatting.summarise_call_summary,
    ),
    "InsightsSummary": EventType(
        "Insights Summary",
        models.InsightsSummary,
        formatting.render_insights_summary,
        formatting.summarise_insights_summary,
    ),
    "AgentReportedIssue": EventType(
        "Agent Reported Issue",
        models.AgentReportedIssue,
        formatting.render_agent_reported_issue,
        formatting.summarise_agent_reported_issue,
    ),
    "HeadsetSummary": EventType(
        "Headset Summary",
        models.HeadsetSummary,
        formatting.render_headset_summary,
        formatting.summarise_headset_summary,
    ),
}
