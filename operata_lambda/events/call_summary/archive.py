"""A call's summary fields in the archive's row (operata_lambda/archive/rows.py)."""

from __future__ import annotations

from typing import Any

from operata_lambda.events.call_summary.model import CallSummary
from operata_lambda.events.call_summary.report import call_metrics
from operata_lambda.events.quality import overall_quality
from operata_lambda.events.text import number


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
