"""The CallSummary detail as dataclasses: the contact, the softphone's WebRTC session, the
agent and their machine, billing."""

from __future__ import annotations

from dataclasses import dataclass, field

from operata_lambda.events.common import (
    AccountProperties,
    Browser,
    ContactId,
    Model,
    Stats,
    Treatment,
    config,
)


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


# The personal fields by path, and what the log shows of each (docs/personal-data.md).
PERSONAL = {
    "contact.callerId": Treatment.PHONE,  # the customer's number
    "serviceAgent.username": Treatment.SHOWN,
    "serviceAgent.friendlyName": Treatment.SHOWN,
    "serviceAgent.network.internetGatewayIp": Treatment.ADDRESS,
    "serviceAgent.network.mediaIpAddress": Treatment.ADDRESS,
    "serviceAgent.network.isp": Treatment.SHOWN,
    "serviceAgent.network.geolocation.city": Treatment.HIDDEN,
    "serviceAgent.network.geolocation.region": Treatment.SHOWN,
    "serviceAgent.network.geolocation.country": Treatment.SHOWN,
    "serviceAgent.softphone.softphoneUrl": Treatment.URL,
    "serviceAgent.softphone.softphoneContextUrl": Treatment.URL,
    "webRTCSession.mediaEndpoint.privateIp": Treatment.ADDRESS,
    "webRTCSession.mediaEndpoint.fqdn": Treatment.FREE_TEXT,
    "webRTCSession.serviceEndpoint.fqdn": Treatment.FREE_TEXT,
    "webRTCSession.signallingEndpoint.fqdn": Treatment.FREE_TEXT,
    "webRTCSession.usedDevices[].deviceId": Treatment.HIDDEN,
    "webRTCSession.usedDevices[].groupId": Treatment.HIDDEN,
    "webRTCSession.usedDevices[].label": Treatment.FREE_TEXT,
}
