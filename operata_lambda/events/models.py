"""Typed models of the EventBridge envelope and of each Operata detail-type (dataclasses-json).

JSON names are camelCase and attributes snake_case. Every field is optional except the
identifiers the schemas require, so an event lacking a metric still builds (and shows n/a).

dataclasses-json (which imports marshmallow, importlib.metadata and packaging: about 50 ms)
is imported when a model's to_dict, from_dict, to_json, from_json or schema is first called,
not by `import handler`: the hot path builds models with events.builders, from the same
configuration (the letter case and the field metadata below, as dataclasses_json.config
writes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")


def parse_time(value: str) -> datetime:
    """RFC 3339 text (with its offset) -> a datetime in UTC; ValueError for anything else."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first UTC instant
        raise ValueError(f"{value!r} is out of range") from None


def camel_case(name: str) -> str:
    """dataclasses-json's LetterCase.CAMEL (its stringcase.camelcase), without importing it."""
    name = re.sub(r"^[\-_\.]", "", name)
    if not name:
        return name
    return name[0].lower() + re.sub(
        r"[\-_\.\s]([a-z0-9])", lambda matched: matched.group(1).upper(), name[1:]
    )


def config(
    *,
    field_name: str | None = None,
    encoder: Any = None,
    decoder: Any = None,
) -> dict[str, dict[str, Any]]:
    """The field metadata `dataclasses_json.config(...)` makes for these keywords."""
    settings: dict[str, Any] = {}
    if encoder is not None:
        settings["encoder"] = encoder
    if decoder is not None:
        settings["decoder"] = decoder
    if field_name is not None:

        def override(_: str, _field_name: str = field_name) -> str:
            return _field_name

        settings["letter_case"] = override
    return {"dataclasses_json": settings}


if TYPE_CHECKING:
    from dataclasses_json import DataClassJsonMixin as _JsonMixin
else:

    class _JsonMixin:
        """DataClassJsonMixin's methods, each importing dataclasses-json on its first call."""

        dataclass_json_config = None

        def to_json(self, **kw):
            return _mixin().to_json(self, **kw)

        @classmethod
        def from_json(cls, s, **kw):
            return _mixin().from_json.__func__(cls, s, **kw)

        @classmethod
        def from_dict(cls, kvs, **kw):
            return _mixin().from_dict.__func__(cls, kvs, **kw)

        def to_dict(self, encode_json=False):
            return _mixin().to_dict(self, encode_json)

        @classmethod
        def schema(cls, **kw):
            return _mixin().schema.__func__(cls, **kw)


def _mixin() -> Any:
    from dataclasses_json import DataClassJsonMixin

    if not issubclass(Model, DataClassJsonMixin):
        DataClassJsonMixin.register(Model)  # as a subclass of the mixin would be
    return DataClassJsonMixin


_CAMEL = {"letter_case": camel_case}  # config(letter_case=LetterCase.CAMEL)["dataclasses_json"]


class Model(_JsonMixin):
    """Base of every model: camelCase JSON names for snake_case attributes."""

    dataclass_json_config = _CAMEL


# --- shared parts ------------------------------------------------------------------------


@dataclass
class Stats(Model):
    """Minimum, maximum and average of a metric over the call."""

    min: float | None = None
    max: float | None = None
    avg: float | None = None


@dataclass
class AccountProperties(Model):
    """The Operata group (tenant) the event belongs to."""

    operata_group_name: str | None = None
    operata_group_id: str | None = None


@dataclass
class ContactId(Model):
    """Amazon Connect contact ids: this contact and its transfer neighbours."""

    current: str
    previous: str | None = None
    next: str | None = None


@dataclass
class Browser(Model):
    """The agent's browser."""

    name: str | None = None
    version: str | None = None


# --- CallSummary -------------------------------------------------------------------------


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


# --- InsightsSummary ---------------------------------------------------------------------


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


# --- AgentReportedIssue ------------------------------------------------------------------


@dataclass
class IssueContext(Model):
    """What the agent reported: category, cause, severity, message."""

    call_contact_id: str | None = None
    category: str | None = None
    cause: str | None = None
    message: str | None = None
    scenario: str | None = None
    severity: str | None = None


@dataclass
class SystemCpu(Model):
    """CPU of the agent's computer when the issue was reported."""

    model_name: str | None = None
    idle_percentage: float | None = None
    used_percentage: float | None = None


@dataclass
class SystemMemory(Model):
    """Memory of the agent's computer when the issue was reported, in GB."""

    total: float | None = None
    available: float | None = None


@dataclass
class AgentSystem(Model):
    """The agent's computer when the issue was reported."""

    cpu: SystemCpu | None = None
    memory: SystemMemory | None = None


@dataclass
class SoftphoneError(Model):
    """A softphone error seen with the issue."""

    type: str | None = None
    message: str | None = None


@dataclass
class AgentReportedIssue(Model):
    """An AgentReportedIssue event's detail: an issue raised by an agent."""

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
    """Time spent on the contact, in seconds."""

    total_duration_sec: float | None = None
    on_hold_duration_sec: float | None = None
    agent_interaction_duration_sec: float | None = None


@dataclass
class HeadsetContact(Model):
    """The Amazon Connect contact a headset summary covers."""

    id: ContactId
    interaction: HeadsetInteraction | None = None
    queue_name: str | None = None


@dataclass
class Speech(Model):
    """Speech totals in seconds and percent of the contact."""

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
    """Headset metrics over the contact."""

    speech: Speech | None = None
    exposure_db: Stats | None = None
    background_noise_db: Stats | None = None
    misaligned_boom_arm_count: int | None = None
    device_mute_count: int | None = None
    device_volume_adjust_count: int | None = None


@dataclass
class Headset(Model):
    """The agent's headset."""

    model_name: str | None = None
    firmware_version: str | None = None
    serial_number: str | None = None
    api_version: str | None = None
    metrics: HeadsetMetrics | None = None


@dataclass
class HeadsetSummary(Model):
    """A HeadsetSummary event's detail: headset telemetry for one contact."""

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
