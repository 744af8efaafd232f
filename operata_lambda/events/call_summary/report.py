"""A call's report block (the reference's lines: packet loss in two decimals, MOS as people
write it) and its summary (the JSON line's fields)."""

from __future__ import annotations

from typing import Any

from operata_lambda.events.call_summary.model import CallSummary
from operata_lambda.events.quality import (
    Overall,
    overall_quality,
    rate_duration,
    rate_mos,
    rate_packet_loss,
)
from operata_lambda.events.text import (
    NA,
    avg,
    num,
    number,
    rated,
    rating,
    text,
    two_decimals,
    upper,
)


def call_metrics(call: CallSummary) -> tuple[Any, Any, Any]:
    """(MOS average, inbound packet loss %, outbound packet loss %), as the event has them."""
    metrics = call.web_rtc_session.metrics if call.web_rtc_session else None
    if metrics is None:
        return None, None, None
    inbound = metrics.inbound.packets_lost_percentage if metrics.inbound else None
    outbound = metrics.outbound.packets_lost_percentage if metrics.outbound else None
    return avg(metrics.mos), inbound, outbound


def call_quality(call: CallSummary) -> Overall:
    mos, inbound, outbound = call_metrics(call)
    return overall_quality(number(mos), number(inbound), number(outbound))


_OVERALL_LINE = {
    Overall.EXCELLENT: "✅ Overall Quality: Excellent",
    Overall.GOOD: "✓ Overall Quality: Good",
    Overall.ISSUES: "⚠️  Overall Quality: Issues detected",
    Overall.UNKNOWN: "Overall Quality: n/a (no quality metrics in the event)",
}


def agent_name(friendly: Any, username: Any) -> str:
    if friendly and username:
        return f"{text(friendly)} ({text(username)})"
    return text(friendly or username)


def seconds(value: Any) -> str:
    return NA if value is None else f"{num(value)} seconds"


def render(call: CallSummary) -> list[str]:
    contact = call.contact
    agent = call.service_agent
    interaction = agent.interaction if agent else None
    duration = interaction.total_duration_sec if interaction else None
    on_hold = interaction.on_hold_duration_sec if interaction else None
    talk = interaction.talking_duration_sec if interaction else None
    mos, inbound, outbound = call_metrics(call)
    duration_rating = rating(rate_duration, duration)
    lines = [
        "Call Summary Details:",
        f"  Direction: {upper(contact.direction)}",
        f"  Ended By: {upper(contact.ended_by)}",
        f"  Queue: {text(contact.queue_name)}",
        f"  Caller ID: {text(contact.caller_id)}",
        f"  Agent: {agent_name(agent.friendly_name, agent.username) if agent else NA}",
        f"  Duration: {seconds(duration)}"
        + ("" if duration_rating is None else f" ({duration_rating})"),
        f"  Talk Time: {seconds(talk)}",
    ]
    if on_hold:
        lines.append(f"  Hold Time: {seconds(on_hold)}")
    lines += [
        "  Audio Quality:",
        f"    Inbound Packet Loss: {rated(inbound, rate_packet_loss, '%', two_decimals)}",
        f"    Outbound Packet Loss: {rated(outbound, rate_packet_loss, '%', two_decimals)}",
        f"    MOS Score: {rated(mos, rate_mos)}",
        f"  {_OVERALL_LINE[call_quality(call)]}",
    ]
    return lines


def summarise(call: CallSummary) -> dict[str, Any]:
    agent = call.service_agent
    interaction = agent.interaction if agent else None
    duration = number(interaction.total_duration_sec if interaction else None)
    mos, inbound, outbound = (number(x) for x in call_metrics(call))
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
