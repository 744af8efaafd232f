"""Renderings of an event: a text report block for people, a flat summary for dashboards.

One text renderer and one summary per detail-type, plus generic ones for a type that has no
schema yet. They read the typed models only, and print n/a for what the event lacks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

from operata_lambda.events.models import (
    AgentReportedIssue,
    CallSummary,
    Envelope,
    HeadsetSummary,
    InsightsSummary,
    Stats,
)
from operata_lambda.events.quality import (
    Overall,
    insight_severity,
    overall_quality,
    rate_duration,
    rate_mos,
    rate_packet_loss,
)

RULE = "=" * 42
THIN = "-" * 42
NA = "n/a"


def num(value: float | None) -> str:
    """A number as people write it: 180, 4.5, 0.05; n/a when missing."""
    if value is None:
        return NA
    if isinstance(value, int):  # also one too large for a float
        return str(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def text(value: str | None) -> str:
    return value if value else NA


def rating(rate: Callable[[float], str], value: float | None) -> str | None:
    """The rating of a figure, None when the event lacks it."""
    return None if value is None else rate(value)


def rated(value: float | None, rate: Callable[[float], str], unit: str = "") -> str:
    """4.5 (Excellent), 0.05% (Minimal); n/a when the event lacks the figure."""
    return NA if value is None else f"{num(value)}{unit} ({rate(value)})"


def avg(stats: Stats | None) -> float | None:
    return stats.avg if stats else None


# --- the block around every event ----------------------------------------------------------


def header(envelope: Envelope, title: str) -> list[str]:
    return [
        RULE,
        "Operata Event Received",
        RULE,
        f"Event ID: {envelope.id}",
        f"Event Type: {title}",
        f"Source: {envelope.source}",
        f"Account: {text(envelope.account)}",
        f"Region: {text(envelope.region)}",
        f"Time: {envelope.time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        THIN,
    ]


# --- CallSummary ---------------------------------------------------------------------------


def call_metrics(call: CallSummary) -> tuple[float | None, float | None, float | None]:
    """(MOS average, inbound packet loss %, outbound packet loss %)."""
    metrics = call.web_rtc_session.metrics if call.web_rtc_session else None
    if metrics is None:
        return None, None, None
    inbound = metrics.inbound.packets_lost_percentage if metrics.inbound else None
    outbound = metrics.outbound.packets_lost_percentage if metrics.outbound else None
    return avg(metrics.mos), inbound, outbound


_OVERALL_LINE = {
    Overall.EXCELLENT: "✅ Overall Quality: Excellent",
    Overall.GOOD: "✓ Overall Quality: Good",
    Overall.ISSUES: "⚠️  Overall Quality: Issues detected",
    Overall.UNKNOWN: "Overall Quality: n/a (no quality metrics in the event)",
}


def agent_name(friendly: str | None, username: str | None) -> str:
    if friendly and username:
        return f"{friendly} ({username})"
    return friendly or username or NA


def render_call_summary(call: CallSummary) -> list[str]:
    contact = call.contact
    agent = call.service_agent
    interaction = agent.interaction if agent else None
    duration = interaction.total_duration_sec if interaction else None
    on_hold = interaction.on_hold_duration_sec if interaction else None
    talk = interaction.talking_duration_sec if interaction else None
    mos, inbound, outbound = call_metrics(call)
    lines = [
        "Call Summary Details:",
        f"  Direction: {contact.direction.upper() if contact.direction else NA}",
        f"  Ended By: {contact.ended_by.upper() if contact.ended_by else NA}",
        f"  Queue: {text(contact.queue_name)}",
        f"  Caller ID: {text(contact.caller_id)}",
        f"  Agent: {agent_name(agent.friendly_name, agent.username) if agent else NA}",
        "  Duration: "
        + (NA if duration is None else f"{num(duration)} seconds ({rate_duration(duration)})"),
        f"  Talk Time: {NA if talk is None else f'{num(talk)} seconds'}",
    ]
    if on_hold:
        lines.append(f"  Hold Time: {num(on_hold)} seconds")
    lines += [
        "  Audio Quality:",
        "    Inbound Packet Loss: " + rated(inbound, rate_packet_loss, "%"),
        "    Outbound Packet Loss: " + rated(outbound, rate_packet_loss, "%"),
        f"    MOS Score: {rated(mos, rate_mos)}",
        f"  {_OVERALL_LINE[overall_quality(mos, inbound, outbound)]}",
    ]
    return lines


def summarise_call_summary(call: CallSummary) -> dict[str, Any]:
    agent = call.service_agent
    interaction = agent.interaction if agent else None
    duration = interaction.total_duration_sec if interaction else None
    mos, inbound, outbound = call_metrics(call)
    return {
        "contactId": call.contact.id.current,
        "queue": call.contact.queue_name,
        "agent": agent.username if agent else None,
        "direction": call.contact.direction,
        "durationSec": duration,
        "durationRating": rating(rate_duration, duration),
        "mos": mos,
        "mosRating": rating(rate_mos, mos),
        "packetLossInboundPct": inbound,
        "packetLossInboundRating": rating(rate_packet_loss, inbound),
        "packetLossOutboundPct": outbound,
        "packetLossOutboundRating": rating(rate_packet_loss, outbound),
        "overallQuality": overall_quality(mos, inbound, outbound).value,
    }


# --- InsightsSummary -----------------------------------------------------------------------


def insight_tags(summary: InsightsSummary) -> list[str]:
    tags = summary.insights.tags if summary.insights else None
    return [tag.description or NA for tag in tags or []]


def insight_count(summary: InsightsSummary) -> int:
    insights = summary.insights
    if insights and insights.count is not None:
        return insights.count
    return len(insight_tags(summary))


_SEVERITY_ICON = {"High": "🔴", "Medium": "🟡", "Low": "🟢"}


def render_insights_summary(summary: InsightsSummary) -> list[str]:
    count = insight_count(summary)
    lines = [
        "Insights Summary Details:",
        f"  Contact ID: {summary.contact.id.current}",
        f"  Insights Count: {count}",
    ]
    tags = insight_tags(summary)
    if tags:
        lines.append("  Insights:")
        lines += [f"    {n}. {description}" for n, description in enumerate(tags, 1)]
    severity = insight_severity(count)
    lines.append(
        f"  {_SEVERITY_ICON[severity]} Severity: {severity}"
        if severity
        else "  ✅ No issues detected"
    )
    return lines


def summarise_insights_summary(summary: InsightsSummary) -> dict[str, Any]:
    count = insight_count(summary)
    return {
        "contactId": summary.contact.id.current,
        "insightCount": count,
        "insightTags": insight_tags(summary),
        "severity": insight_severity(count),
    }


# --- AgentReportedIssue --------------------------------------------------------------------


def render_agent_reported_issue(issue: AgentReportedIssue) -> list[str]:
    context = issue.context
    cpu = issue.system.cpu if issue.system else None
    memory = issue.system.memory if issue.system else None
    browser = issue.browser
    lines = [
        "Agent Reported Issue Details:",
        f"  Agent: {text(issue.agent)}",
        f"  Issue ID: {issue.id}",
        f"  State: {text(issue.state)}",
        f"  Reported At: {text(issue.timestamp)}",
        f"  Category: {text(context.category if context else None)}",
        f"  Cause: {text(context.cause if context else None)}",
        f"  Severity: {text(context.severity if context else None)}",
        f"  Message: {text(context.message if context else None)}",
        "  System:",
        f"    CPU: {text(cpu.model_name if cpu else None)}"
        f" ({num(cpu.used_percentage if cpu else None)}% used)",
        f"    Memory: {num(memory.available if memory else None)} GB available"
        f" of {num(memory.total if memory else None)} GB",
        f"    Browser: {text(browser.name if browser else None)}"
        f" {text(browser.version if browser else None)}",
    ]
    error = issue.softphone_error
    if error and (error.type or error.message):
        lines.append(f"  Softphone Error: {text(error.type)}: {text(error.message)}")
    return lines


def summarise_agent_reported_issue(issue: AgentReportedIssue) -> dict[str, Any]:
    context = issue.context
    return {
        "issueId": issue.id,
        "agent": issue.agent,
        "state": issue.state,
        "contactId": context.call_contact_id if context else None,
        "category": context.category if context else None,
        "cause": context.cause if context else None,
        "severity": context.severity if context else None,
        "softphoneError": issue.softphone_error.type if issue.softphone_error else None,
    }


# --- HeadsetSummary ------------------------------------------------------------------------


def seconds_and_share(seconds: float | None, percent: float | None) -> str:
    if seconds is None:
        return NA
    share = f" ({num(percent)}%)" if percent is not None else ""
    return f"{num(seconds)} seconds{share}"


def render_headset_summary(summary: HeadsetSummary) -> list[str]:
    interaction = summary.contact.interaction
    headset = summary.headset
    metrics = headset.metrics if headset else None
    speech = metrics.speech if metrics else None
    duration = interaction.total_duration_sec if interaction else None
    agent_time = interaction.agent_interaction_duration_sec if interaction else None
    lines = [
        "Headset Summary Details:",
        f"  Contact ID: {summary.contact.id.current}",
        f"  Interaction Duration: {NA if duration is None else f'{num(duration)} seconds'}"
        + ("" if agent_time is None else f" (agent {num(agent_time)} seconds)"),
        f"  Headset: {text(headset.model_name if headset else None)}",
        f"    Firmware: {text(headset.firmware_version if headset else None)}",
        f"    Serial: {text(headset.serial_number if headset else None)}",
        f"    API Version: {text(headset.api_version if headset else None)}",
        "  Speech:",
        f"    Total: {seconds_and_share(speech.total_seconds if speech else None, None)}",
    ]
    if speech:
        lines += [
            "    Agent (TX): "
            + seconds_and_share(speech.tx_speech_total, speech.tx_speech_total_pct),
            "    Customer (RX): "
            + seconds_and_share(speech.rx_speech_total, speech.rx_speech_total_pct),
            f"    Silence: {seconds_and_share(speech.silence_total, speech.silence_total_pct)}",
            "    Cross Talk: "
            + seconds_and_share(speech.cross_talk_total, speech.cross_talk_total_pct),
        ]
    lines += [
        f"  Exposure: {num(avg(metrics.exposure_db) if metrics else None)} dB average",
        "  Background Noise: "
        + f"{num(avg(metrics.background_noise_db) if metrics else None)} dB average",
        f"  Misaligned Boom Arm: {num(metrics.misaligned_boom_arm_count if metrics else None)}",
        f"  Mute Presses: {num(metrics.device_mute_count if metrics else None)}",
        f"  Volume Adjustments: {num(metrics.device_volume_adjust_count if metrics else None)}",
    ]
    return lines


def summarise_headset_summary(summary: HeadsetSummary) -> dict[str, Any]:
    headset = summary.headset
    metrics = headset.metrics if headset else None
    speech = metrics.speech if metrics else None
    return {
        "contactId": summary.contact.id.current,
        "headsetModel": headset.model_name if headset else None,
        "txSpeechPct": speech.tx_speech_total_pct if speech else None,
        "rxSpeechPct": speech.rx_speech_total_pct if speech else None,
        "silencePct": speech.silence_total_pct if speech else None,
        "crossTalkPct": speech.cross_talk_total_pct if speech else None,
        "backgroundNoiseDb": avg(metrics.background_noise_db) if metrics else None,
    }


# --- a detail-type with no schema yet --------------------------------------------------------


def render_unknown(detail: dict[str, Any]) -> list[str]:
    pretty = json.dumps(detail, indent=2, ensure_ascii=False, sort_keys=True)
    return ["Details (no schema for this event type yet):", *pretty.splitlines()]


def report_block(envelope: Envelope, title: str, body: list[str]) -> str:
    return "\n".join([*header(envelope, title), *body, RULE])
