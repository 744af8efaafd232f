"""InsightsSummary: the insights (detected problems) Operata raised for one contact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from operata_lambda.events.common import AccountProperties, ContactId, EventType, Model
from operata_lambda.events.quality import insight_severity
from operata_lambda.events.text import (
    number,
    numbered,
    text,
    whole,
)

# --- the model ---------------------------------------------------------------------------


@dataclass
class ContactRef(Model):
    """A reference to an Amazon Connect contact."""

    id: ContactId


@dataclass
class InsightTag(Model):
    """One insight (a detected problem)."""

    description: str | None = None


@dataclass
class Insights(Model):
    """Insights raised for a contact."""

    count: int | None = None
    tags: list[InsightTag] | None = None


@dataclass
class InsightsSummary(Model):
    """An InsightsSummary event's detail: the insights for one contact."""

    contact: ContactRef
    account_properties: AccountProperties | None = None
    insights: Insights | None = None


# --- rendering -----------------------------------------------------------------------------


def insight_tags(summary: InsightsSummary) -> list[str]:
    tags = summary.insights.tags if summary.insights else None
    return [text(tag.description) for tag in tags or []]


def insight_count(summary: InsightsSummary) -> Any:
    """insights.count as the event has it (None when it lacks one)."""
    return summary.insights.count if summary.insights else None


def severity_of(summary: InsightsSummary) -> str | None:
    """The severity by insights.count; by the number of tags when the count is no number."""
    count = number(insight_count(summary))
    return insight_severity(len(insight_tags(summary)) if count is None else count)


_SEVERITY_LINE = {
    "High": "🔴 Severity: High - Multiple issues detected",
    "Medium": "🟡 Severity: Medium - Some issues detected",
    "Low": "🟢 Severity: Low - Minor issue detected",
    None: "✅ No issues detected",
}


def render(summary: InsightsSummary) -> list[str]:
    severity = severity_of(summary)
    lines = [
        "Insights Summary Details:",
        f"  Contact ID: {text(summary.contact.id.current)}",
        f"  Issues Detected: {whole(insight_count(summary))}",
    ]
    if severity is not None:
        lines.append("  Issues:")
        lines += numbered(insight_tags(summary), "    ")
    lines.append(f"  {_SEVERITY_LINE[severity]}")
    return lines


def summarise(summary: InsightsSummary) -> dict[str, Any]:
    tags = insight_tags(summary)
    count = number(insight_count(summary))
    return {
        "contactId": summary.contact.id.current,
        "insightCount": len(tags) if count is None else count,
        "insightTags": tags,
        "severity": severity_of(summary),
    }


EVENT_TYPE = EventType(
    detail_type="InsightsSummary",
    title="Insights Summary",
    model=InsightsSummary,
    render=render,
    summarise=summarise,
    personal={},  # no personal field: contact ids and insight tags
)
