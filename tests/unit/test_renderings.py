"""The rules of the report blocks: the reference lines, n/a for what is missing, and values of
an unexpected type printed as text (never an exception)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from operata_lambda.events.builders import build
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.events.text import NA, num, one_decimal, two_decimals, whole
from operata_lambda.validation.schemas import schema_set
from tests.helpers import SOURCES, paths_in, source_event, value_at


def render(detail_type: str, detail: dict[str, Any]) -> list[str]:
    event_type = EVENT_TYPES[detail_type]
    return event_type.render(build(event_type.model, detail))


def minimal(detail_type: str) -> dict[str, Any]:
    """The smallest detail its schema accepts: the required fields only."""
    schema = schema_set().for_detail_type(detail_type)
    assert schema is not None

    def fill(node: dict[str, Any]) -> Any:
        kind = node.get("type")
        if kind == "object":
            properties = node.get("properties", {})
            return {key: fill(properties.get(key, {})) for key in node.get("required", [])}
        if kind in ("number", "integer"):
            return 0
        if kind == "array":
            return []
        return "x" * max(1, node.get("minLength", 0))

    detail = fill(schema.document)
    assert Draft202012Validator(schema.document).is_valid(detail)
    return detail  # type: ignore[no-any-return]


# --- number formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(34.88, "34.9"), (16, "16.0"), (0.05, "0.1"), (3.02, "3.0"), (None, NA)],
)
def test_one_decimal_is_percent_point_1f(value: float | None, text: str) -> None:
    assert one_decimal(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(4.2, "4.20"), (0.05, "0.05"), (1.855, f"{1.855:.2f}"), (0, "0.00")]
)
def test_two_decimals(value: float, text: str) -> None:
    assert two_decimals(value) == text


@pytest.mark.parametrize(("value", "text"), [(245, "245"), (245.0, "245"), (2.7, "2"), (None, NA)])
def test_whole_is_percent_d(value: float | None, text: str) -> None:
    assert whole(value) == text


@pytest.mark.parametrize("helper", [num, one_decimal, two_decimals, whole])
@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("4.2", "4.2"),
        ({"avg": 1}, '{"avg": 1}'),
        ([1, 2], "[1, 2]"),
        (True, "true"),
        ("", NA),
        (10**400, "1" + "0" * 400),  # valid JSON, too large for a float
    ],
)
def test_a_value_that_is_no_number_prints_as_text(helper: Any, value: Any, text: str) -> None:
    assert helper(value) == text


def test_call_summary_packet_loss_has_two_decimals_and_mos_as_people_write_it() -> None:
    detail = source_event("CallSummary")["detail"]
    detail["webRTCSession"]["metrics"]["inbound"]["packetsLostPercentage"] = 4.2
    detail["webRTCSession"]["metrics"]["outbound"]["packetsLostPercentage"] = 0
    detail["webRTCSession"]["metrics"]["mos"]["avg"] = 4.5
    lines = render("CallSummary", detail)
    assert "    Inbound Packet Loss: 4.20% (High)" in lines
    assert "    Outbound Packet Loss: 0.00% (Minimal)" in lines
    assert "    MOS Score: 4.5 (Excellent)" in lines


# --- InsightsSummary: severity per count -------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "severity"),
    [
        (0, "  ✅ No issues detected"),
        (1, "  🟢 Severity: Low - Minor issue detected"),
        (2, "  🟡 Severity: Medium - Some issues detected"),
        (3, "  🔴 Severity: High - Multiple issues detected"),
        (7, "  🔴 Severity: High - Multiple issues detected"),
    ],
)
def test_insights_severity_per_count(count: int, severity: str) -> None:
    detail = source_event("InsightsSummary")["detail"]
    tags = [{"description": f"issue {n}"} for n in range(1, count + 1)]
    detail["insights"] = {"count": count, "tags": tags}
    lines = render("InsightsSummary", detail)
    assert lines[:3] == [
        "Insights Summary Details:",
        f"  Contact ID: {detail['contact']['id']['current']}",
        f"  Issues Detected: {count}",
    ]
    assert lines[-1] == severity
    if count:
        assert lines[3:-1] == ["  Issues:"] + [f"    {n}. issue {n}" for n in range(1, count + 1)]
    else:
        assert lines[3:-1] == []  # no "Issues:" heading without issues


# --- AgentReportedIssue: the softphone error ----------------------------------------------------


def _issue_with(error: dict[str, Any] | None) -> list[str]:
    detail = source_event("AgentReportedIssue")["detail"]
    detail.pop("softphoneError", None)
    if error is not None:
        detail["softphoneError"] = error
    return render("AgentReportedIssue", detail)


def test_softphone_error_with_type_and_message() -> None:
    lines = _issue_with({"type": "MediaStreamError", "message": "Audio track ended"})
    assert lines[-3:] == [
        "  Softphone Error:",
        "    Type: MediaStreamError",
        "    Message: Audio track ended",
    ]


def test_softphone_error_message_line_only_when_not_empty() -> None:
    for error in [{"type": "MediaStreamError", "message": ""}, {"type": "MediaStreamError"}]:
        lines = _issue_with(error)
        assert lines[-2:] == ["  Softphone Error:", "    Type: MediaStreamError"]


@pytest.mark.parametrize("error", [None, {}, {"type": ""}, {"type": "", "message": "lost"}])
def test_no_softphone_error_block_without_a_type(error: dict[str, Any] | None) -> None:
    lines = _issue_with(error)
    assert "  Softphone Error:" not in lines
    assert lines[-1].startswith("    Browser: ")


def test_agent_reported_issue_timestamp_in_utc_as_the_header() -> None:
    detail = source_event("AgentReportedIssue")["detail"]
    detail["timestamp"] = "2023-06-01T15:12:38.402+10:00"
    assert "  Timestamp: 2023-06-01 05:12:38 UTC" in render("AgentReportedIssue", detail)


# --- missing values: the reference lines with n/a ----------------------------------------------


def test_headset_summary_with_only_the_required_fields() -> None:
    detail = minimal("HeadsetSummary")
    assert render("HeadsetSummary", detail) == [
        "Headset Summary Details:",
        f"  Contact ID: {detail['contact']['id']['current']}",
        "  Interaction Duration: n/a seconds",
        "  Headset Info:",
        "    Model: n/a",
        "    Firmware: n/a",
        "    Serial: n/a",
        "    API Version: n/a",
        "  Speech Metrics:",
        "    Total Duration: n/a seconds",
        "    TX Speech: n/a seconds (n/a%)",
        "    RX Speech: n/a seconds (n/a%)",
        "    Silence: n/a seconds (n/a%)",
        "    Cross Talk: n/a seconds (n/a%)",
        "  Audio Quality:",
        "    Exposure: n/a dB (avg)",
        "    Background Noise: n/a dB (avg)",
        "  Device Usage:",
        "    Misaligned Boom Arm: n/a times",
        "    Device Mute: n/a times",
        "    Volume Adjustments: n/a times",
    ]


def test_agent_reported_issue_with_only_the_required_fields() -> None:
    detail = minimal("AgentReportedIssue")
    assert render("AgentReportedIssue", detail) == [
        "Agent Reported Issue Details:",
        "  Agent: n/a",
        f"  Issue ID: {detail['id']}",
        "  State: n/a",
        "  Timestamp: n/a",
        "  Issue Details:",
        "    Category: n/a",
        "    Cause: n/a",
        "    Severity: n/a",
        "    Message: n/a",
        "  System Info:",
        "    CPU: n/a (n/a% used)",
        "    Memory: n/a GB available / n/a GB total",
        "    Browser: n/a",
    ]


def test_insights_summary_with_only_the_required_fields() -> None:
    detail = minimal("InsightsSummary")
    assert render("InsightsSummary", detail) == [
        "Insights Summary Details:",
        f"  Contact ID: {detail['contact']['id']['current']}",
        "  Issues Detected: n/a",
        "  ✅ No issues detected",
    ]


def test_headset_agent_time_is_an_addition_in_parentheses() -> None:
    detail = source_event("HeadsetSummary")["detail"]
    detail["contact"]["interaction"] = {"totalDurationSec": 245.4, "agentInteractionDurationSec": 9}
    assert "  Interaction Duration: 245 seconds (agent 9 seconds)" in render(
        "HeadsetSummary", detail
    )


# --- a detail-type with no model ----------------------------------------------------------------


def test_unknown_type_prints_the_raw_data_as_indented_json() -> None:
    from operata_lambda.events.text import render_unknown

    detail = {"queueName": "Support", "nested": {"waiting": [1, 2]}, "ü": "é"}
    lines = render_unknown(detail)
    assert lines[0] == "Unknown event type - raw data:"
    assert json.loads("\n".join(lines[1:])) == detail
    assert lines[1:] == json.dumps(detail, indent=2, sort_keys=True, ensure_ascii=False).split("\n")


# --- after `schemas update --allow-type-change`: values of another type ------------------------


def _samples(detail_type: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(SOURCES.glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("detail-type") == detail_type:
            found.append(event["detail"])
    assert found, f"no sample of {detail_type} in {SOURCES}"
    return found


def _leaves(detail: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The paths of every value in the detail that is neither an object nor a list."""
    return [
        path
        for path in paths_in(detail)
        if path and not isinstance(value_at(detail, path), dict | list)
    ]


def _with(detail: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(detail)
    value_at(changed, path[:-1])[path[-1]] = value
    return changed


def _numeric_leaves_read(detail_type: str, detail: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Numeric leaves whose value the text block shows: changing them changes the block."""
    before = render(detail_type, detail)
    read = []
    for path in _leaves(detail):
        value = value_at(detail, path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if render(detail_type, _with(detail, path, value + 1234567)) != before:
            read.append(path)
    return read


CASES = [(t, n) for t in EVENT_TYPES for n in range(len(_samples(t)))]


@pytest.mark.parametrize(("detail_type", "sample"), CASES)
def test_every_numeric_field_read_prints_an_unexpected_type_as_text(
    detail_type: str, sample: int
) -> None:
    detail = _samples(detail_type)[sample]
    read = _numeric_leaves_read(detail_type, detail)
    if not read:
        assert any(value_at(detail, p) is not None for p in _leaves(detail))
        return
    event_type = EVENT_TYPES[detail_type]
    before = event_type.summarise(build(event_type.model, detail))
    for path in read:
        value = value_at(detail, path)
        marker = {"unexpected": ".".join(map(str, path))}
        for retyped, shown in [
            (str(value), str(value)),  # the number now arrives as text: "4.2"
            (f"{value} ms", f"{value} ms"),
            (marker, json.dumps(marker)),  # or as an object
            (True, "true"),
        ]:
            changed = _with(detail, path, retyped)
            model = build(event_type.model, changed)
            text = "\n".join(event_type.render(model))
            assert shown in text, (path, retyped)
            summary = event_type.summarise(model)
            json.dumps(summary)
            for key, old in before.items():  # numeric fields stay numbers (or null)
                if isinstance(old, int | float) and not isinstance(old, bool):
                    new = summary[key]
                    assert new is None or isinstance(new, int | float), (path, key, new)


@pytest.mark.parametrize(("detail_type", "sample"), CASES)
def test_no_leaf_of_another_type_makes_a_rendering_raise(detail_type: str, sample: int) -> None:
    detail = _samples(detail_type)[sample]
    event_type = EVENT_TYPES[detail_type]
    for path in _leaves(detail):
        for retyped in ["4.2", 4.2, 7, {"a": [1]}, [], False, None, ""]:
            model = build(event_type.model, _with(detail, path, retyped))
            assert event_type.render(model)
            json.dumps(event_type.summarise(model))


def test_every_registered_type_has_numeric_fields_its_block_reads() -> None:
    for detail_type in EVENT_TYPES:
        read = {
            path
            for detail in _samples(detail_type)
            for path in _numeric_leaves_read(detail_type, detail)
        }
        assert read, detail_type
