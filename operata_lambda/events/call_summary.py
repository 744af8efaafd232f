"""CallSummary: one call's quality, agent and machine; its report block and summary.

The reference block (README), with packet loss in two decimals and MOS as people write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from operata_lambda.events.common import (
    AccountProperties,
    Browser,
    ContactId,
    EventType,
    Model,
    Stats,
    config,
)
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

# --- the model ---------------------------------------------------------------------------


@dataclass
class ContactEvents(Model):
    """When the contact was queued and connected to the agent (ISO 8601)."""

    connecting_to_agent: str | None = None
    enqueued: str | None = None


@dataclass
class CallContact(Model):
    """The Amazon Connect contact of a call."""

    id: ContactId
    direction: str | None = None
    events: ContactEvents | None = None
    ended_by: str | None = None
    queue_name: str | None = None
    caller_id: str | None = None


@dataclass
class InboundAudio(Model):
    """Audio received by the agent's softphone."""

    packets_received: float | None = None
    packets_lost: float | None = None
    packets_lost_percentage: float | None = None
    bytes_received: float | None = None
    audio_level: Stats | None = None
    jitter_buffer_mils: Stats | None = None


@dataclass
class OutboundAudio(Model):
    """Audio sent by the agent's softphone."""

    packets_sent: float | None = None
    packets_lost: float | None = None
    packets_lost_percentage: float | None = None
    bytes_sent: float | None = None
    audio_level: Stats | None = None
    jitter_buffer_mils: Stats | None = None


@dataclass
class CallMetrics(Model):
    """WebRTC audio quality over the call: loss, jitter, round trip, MOS."""

    inbound: InboundAudio | None = None
    outbound: OutboundAudio | None = None
    rtt: Stats | None = None
    jitter: Stats | None = None
    mos: Stats | None = None


@dataclass
class ServiceEndpoint(Model):
    """The signalling service endpoint."""

    fqdn: str | None = None
    transport_life_time_seconds: float | None = None
    expiry: str | None = None


@dataclass
class MediaEndpoint(Model):
    """The media (TURN) endpoint the audio went through."""

    fqdn: str | None = None
    destination_port: str | None = None
    source_port: str | None = None
    transport: str | None = None
    private_ip: str | None = None


@dataclass
class SignallingEndpoint(Model):
    """The signalling endpoint."""

    fqdn: str | None = None


@dataclass
class UsedDevice(Model):
    """An audio device used during the call."""

    timestamp: str | None = None
    device_id: str | None = None
    group_id: str | None = None
    kind: str | None = None
    label: str | None = None


@dataclass
class WebRTCSession(Model):
    """The softphone's WebRTC session."""

    metrics: CallMetrics | None = None
    service_endpoint: ServiceEndpoint | None = None
    media_endpoint: MediaEndpoint | None = None
    signalling_endpoint: SignallingEndpoint | None = None
    used_devices: list[UsedDevice] | None = None


@dataclass
class AverageOnly(Model):
    """An average, where Operata sends no minimum or maximum."""

    avg: float | None = None


@dataclass
class MachineCpu(Model):
    """CPU of the agent's computer during the call."""

    model_name: str | None = None
    idle_percentage: AverageOnly | None = None
    utilised_percentage: Stats | None = None


@dataclass
class MachineMemory(Model):
    """Memory of the agent's computer during the call."""

    available_gb: float | None = None
    utilised_percentage: Stats | None = None


@dataclass
class Machine(Model):
    """The agent's computer during the call."""

    cpu: MachineCpu | None = None
    memory: MachineMemory | None = None


@dataclass
class Geolocation(Model):
    """Approximate location of the agent."""

    city: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass
class AgentNetwork(Model):
    """The agent's network: addresses, type, ISP and location."""

    internet_gateway_ip: str | None = None
    media_ip_address: str | None = None
    type: str | None = None
    isp: str | None = None
    geolocation: Geolocation | None = None


@dataclass
class Softphone(Model):
    """The softphone (CCP) URLs."""

    softphone_url: str | None = None
    softphone_context_url: str | None = None


@dataclass
class AgentInteraction(Model):
    """Time the agent spent on the call, in seconds."""

    total_duration_sec: float | None = None
    on_hold_duration_sec: float | None = None
    talking_duration_sec: float | None = None
    on_mute_duration_sec: float | None = None


@dataclass
class ServiceAgent(Model):
    """The agent who handled the call."""

    username: str | None = None
    machine: Machine | None = None
    network: AgentNetwork | None = None
    browser: Browser | None = None
    softphone: Softphone | None = None
    interaction: AgentInteraction | None = None
    friendly_name: str | None = None


@dataclass
class Billing(Model):
    """Billing information of the call."""

    duration_rounded_min: float | None = None


@dataclass
class CallSummary(Model):
    """A CallSummary event's detail: one call's quality, agent and machine."""

    contact: CallContact
    account_properties: AccountProperties | None = None
    web_rtc_session: WebRTCSession | None = field(
        default=None, metadata=config(field_name="webRTCSession")
    )
    service_agent: ServiceAgent | None = None
    billing: Billing | None = None
    timestamp: str | None = None


# --- rendering -----------------------------------------------------------------------------


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


def archive(call: CallSummary) -> dict[str, Any]:
    agent = call.service_agent
    interaction = agent.interaction if agent else None
    network = agent.network if agent else None
    mos, inbound, outbound = (number(x) for x in call_metrics(call))
    return {
        "queue": call.contact.queue_name,
        "agent": agent.username if agent else None,
        "direction": call.contact.direction,
        "duration_sec": interaction.total_duration_sec if interaction else None,
        "mos": mos,
        "packet_loss_inbound_pct": inbound,
        "packet_loss_outbound_pct": outbound,
        "overall_quality": overall_quality(mos, inbound, outbound).value,
        "isp": network.isp if network else None,
    }


EVENT_TYPE = EventType(
    detail_type="CallSummary",
    title="Call Summary",
    model=CallSummary,
    render=render,
    summarise=summarise,
    contact_id="contact.id.current",
    archive=archive,
)
