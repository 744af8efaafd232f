"""Call-quality ratings: MOS, packet loss, call duration and the overall verdict."""

from __future__ import annotations

from enum import Enum


def rate_mos(mos: float) -> str:
    if mos >= 4.3:
        return "Excellent"
    if mos >= 4.0:
        return "Good"
    if mos >= 3.6:
        return "Fair"
    if mos >= 3.1:
        return "Poor"
    return "Bad"


def rate_packet_loss(percent: float) -> str:
    if percent < 0.1:
        return "Minimal"
    if percent < 1:
        return "Acceptable"
    if percent < 3:
        return "Noticeable"
    if percent < 5:
        return "High"
    return "Severe"


def rate_duration(seconds: float) -> str:
    if seconds < 30:
        return "Very Short"
    if seconds < 120:
        return "Short"
    if seconds < 600:
        return "Medium"
    if seconds < 1800:
        return "Long"
    return "Very Long"


class Overall(Enum):
    EXCELLENT = "Excellent"
    GOOD = "Good"
    ISSUES = "Issues detected"
    UNKNOWN = "n/a"


_BAD_MOS = {"Poor", "Bad"}
_BAD_LOSS = {"Noticeable", "High", "Severe"}


def overall_quality(
    mos: float | None, inbound_loss: float | None, outbound_loss: float | None
) -> Overall:
    """Issues if any known metric is poor; Excellent only if all three are known and best."""
    mos_rating = rate_mos(mos) if mos is not None else None
    losses = [rate_packet_loss(x) for x in (inbound_loss, outbound_loss) if x is not None]
    if mos_rating in _BAD_MOS or any(r in _BAD_LOSS for r in losses):
        return Overall.ISSUES
    if mos_rating is None and not losses:
        return Overall.UNKNOWN
    if mos_rating == "Excellent" and losses == ["Minimal", "Minimal"]:
        return Overall.EXCELLENT
    return Overall.GOOD


def insight_severity(count: float) -> str | None:
    """High for 3 or more insights, Medium for 2, Low for 1, None when there are none."""
    if count >= 3:
        return "High"
    if count == 2:
        return "Medium"
    if count == 1:
        return "Low"
    return None
