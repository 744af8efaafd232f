"""Rating boundaries, exactly as documented in the README."""

from __future__ import annotations

import pytest

from operata_lambda.events.quality import (
    Overall,
    insight_severity,
    overall_quality,
    rate_duration,
    rate_mos,
    rate_packet_loss,
)


@pytest.mark.parametrize(
    ("mos", "rating"),
    [
        (5.0, "Excellent"),
        (4.3, "Excellent"),
        (4.29, "Good"),
        (4.0, "Good"),
        (3.99, "Fair"),
        (3.6, "Fair"),
        (3.59, "Poor"),
        (3.1, "Poor"),
        (3.09, "Bad"),
        (1.0, "Bad"),
        (0.0, "Bad"),
    ],
)
def test_mos(mos: float, rating: str) -> None:
    assert rate_mos(mos) == rating


@pytest.mark.parametrize(
    ("loss", "rating"),
    [
        (0.0, "Minimal"),
        (0.09, "Minimal"),
        (0.1, "Acceptable"),
        (0.99, "Acceptable"),
        (1.0, "Noticeable"),
        (2.99, "Noticeable"),
        (3.0, "High"),
        (4.99, "High"),
        (5.0, "Severe"),
        (100.0, "Severe"),
    ],
)
def test_packet_loss(loss: float, rating: str) -> None:
    assert rate_packet_loss(loss) == rating


@pytest.mark.parametrize(
    ("seconds", "rating"),
    [
        (0, "Very Short"),
        (29.9, "Very Short"),
        (30, "Short"),
        (119, "Short"),
        (120, "Medium"),
        (599, "Medium"),
        (600, "Long"),
        (1799, "Long"),
        (1800, "Very Long"),
        (86400, "Very Long"),
    ],
)
def test_duration(seconds: float, rating: str) -> None:
    assert rate_duration(seconds) == rating


@pytest.mark.parametrize(
    ("mos", "inbound", "outbound", "overall"),
    [
        (4.5, 0.05, 0.03, Overall.EXCELLENT),
        (4.3, 0.0, 0.09, Overall.EXCELLENT),
        (4.29, 0.05, 0.03, Overall.GOOD),  # MOS only Good
        (4.5, 0.1, 0.03, Overall.GOOD),  # a loss only Acceptable
        (3.6, 0.5, 0.5, Overall.GOOD),  # Fair MOS, Acceptable losses
        (3.59, 0.0, 0.0, Overall.ISSUES),  # Poor MOS
        (4.5, 1.0, 0.0, Overall.ISSUES),  # Noticeable inbound loss
        (4.5, 0.0, 7.0, Overall.ISSUES),  # Severe outbound loss
        (4.25, 1.85, 1.27, Overall.ISSUES),  # the CallSummary sample
        (None, None, None, Overall.UNKNOWN),
        (4.5, None, None, Overall.GOOD),  # Excellent needs every metric
        (None, 0.0, 0.0, Overall.GOOD),
        (None, 3.5, None, Overall.ISSUES),  # any known bad metric is enough
        (2.0, None, None, Overall.ISSUES),
    ],
)
def test_overall(
    mos: float | None, inbound: float | None, outbound: float | None, overall: Overall
) -> None:
    assert overall_quality(mos, inbound, outbound) is overall


@pytest.mark.parametrize(
    ("count", "severity"), [(0, None), (1, "Low"), (2, "Medium"), (3, "High"), (12, "High")]
)
def test_insight_severity(count: int, severity: str | None) -> None:
    assert insight_severity(count) == severity
