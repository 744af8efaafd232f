"""Typed models of the EventBridge envelope and of each Operata detail-type (dataclasses-json).

JSON names are camelCase and attributes snake_case. Every field is optional except the
identifiers the schemas require, so an event lacking a metric still builds (and shows n/a).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dataclasses_json import DataClassJsonMixin, LetterCase, config


def parse_time(value: str) -> datetime:
    """RFC 3339 text -> a timezone-aware datetime (naive input is taken as UTC)."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Model(DataClassJsonMixin):
    """Base of every model: camelCase JSON names for snake_case attributes."""

    dataclass_json_config = config(letter_case=LetterCase.CAMEL)["dataclasses_json"]


# --- shared parts ------------------------------------------------------------------------


@dataclass
class Stats(Model):
    min: float | None = None
    max: float | None = None
    avg: float | None = None


@dataclass
class AccountProperties(Model):
    operata_group_name: str | None = None
    operata_group_id: str | None = None


@dataclass
class ContactId(Model):
    current: str
    previous: str | None = None
    next: str | None = None


@dataclass
class Browser(Model):
    name: str | None = None
    version: str | None = None


# --- CallSummary -------------------------------------------------------------------------


@dataclass
class ContactEvents(Model):
    connecting_to_agent: str | None = None
    enqueued: str | None = None


@dataclass
class CallContact(Model):
    id: ContactId
    direction: str | None = None
    events: ContactEvents | None = None
    ended_by: str | None = None
    queue_name: str | None = None
    caller_id: str | None = None


@dataclass
class InboundAudio(Model):
    packets_received: float | None = None
    packets_lost: float | None = None
    packets_lost_percentage: float | None = None
    bytes_received: float | None = None
    audio_level: Stats | None = None
    jitter_buffer_mils: Stats | None = None


@dataclass
class OutboundAudio(Model):
    packets_sent: float | None = None
    packets_lost: float | None = None
    packets_lost_percentage: float | None = None
    bytes_sent: float | None = None
    audio_level: Stats | None = None
    jitter_buffer_mils: Stats | None = None


@dataclass
class CallMetrics(Model):
    inbound: InboundAudio | None = None
    outbound: OutboundAudio | None = None
    rtt: Stats | None = None
    jitter: Stats | None = None
    mos: Stats | None = None


@dataclass
class ServiceEndpoint(Model):
    fqdn: str | None = None
    transport_life_time_seconds: float | None = None
    expiry: str | None = None


@dataclass
class MediaEndpoint(Model):
    fqdn: str | None = None
    destination_port: str | None = None
    source_port: str | None = None
    transport: str | None = None
    private_ip: str | None = None


@dataclass
class SignallingEndpoint(Model):
    fqdn: str | None = None


@dataclass
class UsedDevice(Model):
    timestamp: str | None = None
    device_id: str | None = None
    group_id: str | None = None
    kind: str | None = None
    label: str | None = None


@dataclass
class WebRTCSession(Model):
    metrics: CallMetrics | None = None
    service_endpoint: ServiceEndpoint | None = None
    media_endpoint: MediaEndpoint | None = None
    signalling_endpoint: SignallingEndpoint | None = None
    used_devices: list[UsedDevice] | None = None


@dataclass
class AverageOnly(Model):
    avg: float | None = None


@dataclass
class MachineCpu(Model):
    model_name: str | None = None
    idle_percentage: AverageOnly | None = None
    utilised_percentage: Stats | None = None


@dataclass
class MachineMemory(Model):
    available_gb: float | None = None
    utilised_percentage: Stats | None = None


@dataclass
class Machine(Model):
    cpu: MachineCpu | None = None
    memory: MachineMemory | None = None


@dataclass
class Geolocation(Model):
    city: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass
class AgentNetwork(Model):
    internet_gateway_ip: str | None = None
    media_ip_address: str | None = None
    type: str | None = None
    isp: str | None = None
    geolocation: Geolocation | None = None


@dataclass
class Softphone(Model):
    softphone_url: str | None = None
    softphone_context_url: str | None = None


@dataclass
class AgentInteraction(Model):
    total_duration_sec: float | None = None
    on_hold_duration_sec: float | None = None
    talking_duration_sec: float | None = None
    on_mute_duration_sec: float | None = None


@dataclass
class ServiceAgent(Model):
    username: str | None = None
    machine: Machine | None = None
    network: AgentNetwork | None = None
    browser: Browser | None = None
    softphone: Softphone | None = None
    interaction: AgentInteraction | None = None
    friendly_name: str | None = None


@dataclass
class Billing(Model):
    duration_rounded_min: float | None = None


@dataclass
class CallSummary(Model):
    contact: CallContact
    account_properties: AccountProperties | None = None
    web_rtc_session: WebRTCSession | None = field(
        default=None, metadata=config(field_name="webRTCSession")
    )
    service_agent: ServiceAgent | None = None
    billing: Billing | None = None
    timestamp: str | None = None


# --- InsightsSummary ---------------------------------------------------------------------


@dataclass
class ContactRef(Model):
    id: ContactId


@dataclass
class InsightTag(Model):
    description: str | None = None


@dataclass
class Insights(Model):
    count: int | None = None
    tags: list[InsightTag] | None = None


@dataclass
class InsightsSummary(Model):
    contact: ContactRef
    account_properties: AccountProperties | None = None
    insights: Insights | None = None


# --- AgentReportedIssue ------------------------------------------------------------------


@dataclass
class IssueContext(Model):
    call_contact_id: str | None = None
    category: str | None = None
    cause: str | None = None
    message: str | None = None
    scenario: str | None = None
    severity: str | None = None


@dataclass
class SystemCpu(Model):
    model_name: str | None = None
    idle_percentage: float | None = None
    used_percentage: float | None = None


@dataclass
class SystemMemory(Model):
    total: float | None = None
    available: float | None = None


@dataclass
class AgentSystem(Model):
    cpu: SystemCpu | None = None
    memory: SystemMemory | None = None


@dataclass
class SoftphoneError(Model):
    type: str | None = None
    message: str | None = None


@dataclass
class AgentReportedIssue(Model):
    id: str
    operata_client_id: str | None = None
    agent: str | None = None
    state: str | None = None
    context: IssueContext | None = None
    browser: Browser | None = None
    system: AgentSystem | None = None
    softphone_error: SoftphoneError | None = None
    timestamp: str | None = None


# --- HeadsetSummary ----------------------------------------------------------------------


@dataclass
class HeadsetInteraction(Model):
    total_duration_sec: float | None = None
    on_hold_duration_sec: float | None = None
    agent_interaction_duration_sec: float | None = None


@dataclass
class HeadsetContact(Model):
    id: ContactId
    interaction: HeadsetInteraction | None = None
    queue_name: str | None = None


@dataclass
class Speech(Model):
    total_seconds: float | None = None
    tx_speech_total: float | None = None
    tx_speech_total_pct: float | None = None
    rx_speech_total: float | None = None
    rx_speech_total_pct: float | None = None
    silence_total: float | None = None
    silence_total_pct: float | None = None
    cross_talk_total: float | None = None
    cross_talk_total_pct: float | None = None


@dataclass
class HeadsetMetrics(Model):
    speech: Speech | None = None
    exposure_db: Stats | None = None
    background_noise_db: Stats | None = None
    misaligned_boom_arm_count: int | None = None
    device_mute_count: int | None = None
    device_volume_adjust_count: int | None = None


@dataclass
class Headset(Model):
    model_name: str | None = None
    firmware_version: str | None = None
    serial_number: str | None = None
    api_version: str | None = None
    metrics: HeadsetMetrics | None = None


@dataclass
class HeadsetSummary(Model):
    contact: HeadsetContact
    account_properties: AccountProperties | None = None
    headset: Headset | None = None


# --- the envelope ------------------------------------------------------------------------


@dataclass
class Envelope(Model):
    """The EventBridge event around a detail; `detail` stays a dict until its type is known."""

    id: str
    detail_type: str = field(default="", metadata=config(field_name="detail-type"))
    source: str = ""
    time: datetime = field(
        default=datetime.min.replace(tzinfo=UTC),
        metadata=config(decoder=parse_time, encoder=datetime.isoformat),
    )
    detail: dict[str, Any] = field(default_factory=dict)
    version: str | None = None
    account: str | None = None
    region: str | None = None
    resources: list[str] | None = None


DetailModel = CallSummary | InsightsSummary | AgentReportedIssue | HeadsetSummary
