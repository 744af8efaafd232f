"""HeadsetSummary: headset telemetry for one contact: speech, audio levels, device use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from operata_lambda.events.common import (
    AccountProperties,
    ContactId,
    EventType,
    Model,
    Stats,
    Treatment,
)
from operata_lambda.events.text import (
    avg,
    num,
    number,
    one_decimal,
    text,
    whole,
)

# --- the model ---------------------------------------------------------------------------


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


# --- rendering -----------------------------------------------------------------------------


def seconds_and_share(seconds: Any, percent: Any) -> str:
    """75.0 seconds (34.9%)."""
    return f"{one_decimal(seconds)} seconds ({one_decimal(percent)}%)"


def render(summary: HeadsetSummary) -> list[str]:
    interaction = summary.contact.interaction or HeadsetInteraction()
    headset = summary.headset or Headset()
    metrics = headset.metrics or HeadsetMetrics()
    speech = metrics.speech or Speech()
    agent_time = interaction.agent_interaction_duration_sec
    return [
        "Headset Summary Details:",
        f"  Contact ID: {text(summary.contact.id.current)}",
        f"  Interaction Duration: {whole(interaction.total_duration_sec)} seconds"
        + ("" if agent_time is None else f" (agent {num(agent_time)} seconds)"),
        "  Headset Info:",
        f"    Model: {text(headset.model_name)}",
        f"    Firmware: {text(headset.firmware_version)}",
        f"    Serial: {text(headset.serial_number)}",
        f"    API Version: {text(headset.api_version)}",
        "  Speech Metrics:",
        f"    Total Duration: {one_decimal(speech.total_seconds)} seconds",
        f"    TX Speech: {seconds_and_share(speech.tx_speech_total, speech.tx_speech_total_pct)}",
        f"    RX Speech: {seconds_and_share(speech.rx_speech_total, speech.rx_speech_total_pct)}",
        f"    Silence: {seconds_and_share(speech.silence_total, speech.silence_total_pct)}",
        "    Cross Talk: "
        + seconds_and_share(speech.cross_talk_total, speech.cross_talk_total_pct),
        "  Audio Quality:",
        f"    Exposure: {one_decimal(avg(metrics.exposure_db))} dB (avg)",
        f"    Background Noise: {one_decimal(avg(metrics.background_noise_db))} dB (avg)",
        "  Device Usage:",
        f"    Misaligned Boom Arm: {whole(metrics.misaligned_boom_arm_count)} times",
        f"    Device Mute: {whole(metrics.device_mute_count)} times",
        f"    Volume Adjustments: {whole(metrics.device_volume_adjust_count)} times",
    ]


def summarise(summary: HeadsetSummary) -> dict[str, Any]:
    headset = summary.headset or Headset()
    metrics = headset.metrics or HeadsetMetrics()
    speech = metrics.speech or Speech()
    return {
        "contactId": summary.contact.id.current,
        "headsetModel": headset.model_name,
        "txSpeechPct": number(speech.tx_speech_total_pct),
        "rxSpeechPct": number(speech.rx_speech_total_pct),
        "silencePct": number(speech.silence_total_pct),
        "crossTalkPct": number(speech.cross_talk_total_pct),
        "backgroundNoiseDb": number(avg(metrics.background_noise_db)),
    }


EVENT_TYPE = EventType(
    detail_type="HeadsetSummary",
    title="Headset Summary",
    model=HeadsetSummary,
    render=render,
    summarise=summarise,
    personal={"headset.serialNumber": Treatment.LAST_THREE},
)
