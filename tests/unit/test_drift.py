"""Schema drift: drift.compare, and what the stream does when Operata adds, changes or drops a
field (processed and warned about once per path per container; rejected; shown as n/a).
"""

from __future__ import annotations

import copy
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as tally
from hypothesis import strategies as st

import handler
from operata.fixtures import kinesis_event
from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.validation.drift import (
    ITEMS,
    MissingField,
    NewField,
    TypeConflict,
    compare,
    json_type,
    missing_required,
)
from operata_lambda.validation.paths import dotted
from operata_lambda.validation.schemas import schema_set
from tests.helpers import (
    call_summary_with_three_new_fields,
    encode,
    records_of,
    run_batch,
    schema_properties,
    source_event,
    three_new_fields,
)

TYPES = list(EVENT_TYPES)  # each has a sample named after it in events/source/
NEW = three_new_fields()  # named from the schema: new in any state schemas/ is left in
THREE_NEW = [new.path for new in NEW]


def unique_new_fields(fields: list[NewField]) -> list[NewField]:
    """One entry per path, in order of first appearance: what compare(first_only=True) keeps."""
    seen: dict[str, NewField] = {}
    for f in fields:
        seen.setdefault(f.path, f)
    return list(seen.values())


pytestmark = pytest.mark.usefixtures("fresh_container")


# --- drift.compare -------------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "mos": {"type": "object", "properties": {"avg": {"type": "number"}}},
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            },
        },
        "free": {"type": "object"},  # no properties: anything inside is described
    },
}


def test_compare_finds_nothing_in_a_described_instance() -> None:
    instance = {"id": "a", "mos": {"avg": 4}, "tags": [{"name": "x"}], "free": {"any": 1}}
    assert compare(SCHEMA, instance) == ([], [])


def test_compare_names_new_fields_with_path_type_and_example() -> None:
    instance = {"id": "a", "mos": {"avg": 4.2, "p95": 4.4}, "region": "au", "extra": {"a": [1]}}
    new, conflicts = compare(SCHEMA, instance)
    assert conflicts == []
    assert new == [
        NewField("detail.mos.p95", "number", 4.4),
        NewField("detail.region", "string", "au"),
        NewField("detail.extra", "object", {"a": [1]}),  # reported once, at its own path
    ]
    assert [f.parts for f in new] == [("mos", "p95"), ("region",), ("extra",)]


def test_compare_uses_brackets_for_array_items() -> None:
    instance = {"id": "a", "tags": [{"name": "x", "colour": "red"}, {"name": "y", "colour": 3}]}
    new, _ = compare(SCHEMA, instance)
    assert [f.path for f in new] == ["detail.tags[].colour", "detail.tags[].colour"]
    assert new[0].parts == ("tags", ITEMS, "colour")
    assert unique_new_fields(new) == [NewField("detail.tags[].colour", "string", "red")]


def test_compare_reports_a_changed_type_and_does_not_look_inside() -> None:
    instance = {"id": "a", "mos": {"avg": "high"}, "tags": {"name": "x", "new": 1}}
    new, conflicts = compare(SCHEMA, instance)
    assert new == []
    assert conflicts == [
        TypeConflict("detail.mos.avg", "number", "string", "high"),
        TypeConflict("detail.tags", "array", "object", {"name": "x", "new": 1}),
    ]
    assert conflicts[0].parts == ("mos", "avg")


def test_an_integer_is_a_number_but_a_fraction_is_not_an_integer() -> None:
    schema = {"properties": {"n": {"type": "number"}, "i": {"type": "integer"}}}
    assert compare(schema, {"n": 3, "i": 3.0}) == ([], [])
    _, conflicts = compare(schema, {"i": 3.5})
    assert [(c.path, c.schema_type, c.seen_type) for c in conflicts] == [
        ("detail.i", "integer", "number")
    ]


def test_json_type_names() -> None:
    assert [json_type(v) for v in [None, True, 1, 1.5, 2.0, "s", [], {}]] == [
        "null",
        "boolean",
        "integer",
        "number",
        "integer",
        "string",
        "array",
        "object",
    ]


def test_compare_with_union_types_and_another_prefix() -> None:
    schema = {"properties": {"v": {"type": ["string", "null"]}}}
    assert compare(schema, {"v": None}, prefix="") == ([], [])
    _, conflicts = compare(schema, {"v": 1}, prefix="")
    assert conflicts == [TypeConflict(".v", "string|null", "integer", 1)]


def test_missing_required_at_every_level() -> None:
    instance = {"mos": {}, "tags": [{"name": "x"}, {}]}
    assert missing_required(SCHEMA, instance) == [
        MissingField("detail.id"),
        MissingField("detail.tags[].name"),
    ]
    assert missing_required(SCHEMA, {"id": "a"}) == []


def test_the_published_samples_have_no_drift() -> None:
    for name in TYPES:
        schema = schema_set().for_detail_type(name)
        assert schema is not None
        assert compare(schema.document, source_event(name)["detail"]) == ([], []), name


# --- in the stream -------------------------------------------------------------------------


def drift_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("SCHEMA DRIFT")]


def emf(out: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return document


def test_new_fields_are_processed_and_reported_once_per_container(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = kinesis_event([encode(call_summary_with_three_new_fields())])
    assert handler.handler(event, None) == {"batchItemFailures": []}
    first = capsys.readouterr().out
    assert "Operata Event Received" in first
    lines = drift_lines(first)
    assert len(lines) == 3
    for new in NEW:
        (line,) = [line for line in lines if f" {new.path} " in line]
        assert line.startswith("SCHEMA DRIFT CallSummary: new field")
        assert f"({new.json_type}, e.g." in line
    assert emf(first)["SchemaDriftFields"] == 3
    assert emf(first)["RecordsProcessed"] == 1

    # the same container, the same fields again (twice in one batch): no more warnings
    twice = kinesis_event([encode(call_summary_with_three_new_fields())] * 2)
    assert handler.handler(twice, None) == {"batchItemFailures": []}
    second = capsys.readouterr().out
    assert drift_lines(second) == []
    assert second.count("Operata Event Received") == 2
    assert emf(second)["SchemaDriftFields"] == 6  # the count goes on: 3 fields in 2 records


def test_drift_warning_in_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    records = records_of(encode(call_summary_with_three_new_fields()))
    outcomes, text = run_batch(records, Settings(log_format="json"))
    assert [o.status for o in outcomes] == [Status.PROCESSED]
    warnings = [
        entry
        for entry in map(json.loads, text.splitlines())
        if entry.get("message") == "schema drift"
    ]
    assert sorted(w["path"] for w in warnings) == sorted(THREE_NEW)
    assert {w["detailType"] for w in warnings} == {"CallSummary"}
    assert {w["path"]: w["jsonType"] for w in warnings} == {n.path: n.json_type for n in NEW}
    assert all(w["level"] == "WARNING" and w["schemaVersion"] for w in warnings)


def test_drift_is_per_detail_type_and_path() -> None:
    # the same new key in both types' `contact`, whatever their schemas describe today
    described = {
        *schema_properties("InsightsSummary", ("contact",)),
        *schema_properties("CallSummary", ("contact",)),
    }
    key = next(f"channel{n}" for n in itertools.count() if f"channel{n}" not in described)
    insights = source_event("InsightsSummary")
    insights["detail"]["contact"][key] = "VOICE"
    call = source_event("CallSummary")
    call["detail"]["contact"][key] = "VOICE"
    outcomes, text = run_batch(records_of(encode(insights), encode(call)))
    assert [o.status for o in outcomes] == [Status.PROCESSED, Status.PROCESSED]
    assert [line.split(":")[0] for line in drift_lines(text)] == [
        "SCHEMA DRIFT InsightsSummary",
        "SCHEMA DRIFT CallSummary",
    ]


def test_a_known_field_with_another_type_is_rejected_with_path_and_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = source_event("CallSummary")
    event["detail"]["webRTCSession"]["metrics"]["inbound"]["packetsLost"] = "twelve"
    handler.handler(kinesis_event([encode(event)]), None)
    out = capsys.readouterr().out
    (rejected,) = [line for line in out.splitlines() if line.startswith("REJECTED")]
    assert "reason=schema_invalid" in rejected
    assert "detail.webRTCSession.metrics.inbound.packetsLost" in rejected
    entry = json.loads(Path(rejected.rsplit("(kept in ", 1)[1].rstrip(")")).read_text())
    assert entry["error"]["path"] == "detail.webRTCSession.metrics.inbound.packetsLost"
    assert entry["error"]["rule"] == "type"
    assert drift_lines(out) == []


def test_a_field_that_disappears_is_processed_and_shown_as_na(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = source_event("CallSummary")
    del event["detail"]["webRTCSession"]["metrics"]["mos"]
    del event["detail"]["contact"]["queueName"]
    assert handler.handler(kinesis_event([encode(event)]), None) == {"batchItemFailures": []}
    out = capsys.readouterr().out
    assert "Operata Event Received" in out
    assert "REJECTED" not in out
    mos = [line for line in out.splitlines() if "MOS" in line]
    assert mos and all("n/a" in line for line in mos)
    queue = [line for line in out.splitlines() if "Queue" in line]
    assert queue and all("n/a" in line for line in queue)


# --- generated variations: never crash, never lose a record --------------------------------


class Kept:
    """A quarantine that keeps what it is given, in memory."""

    name = "quarantine"

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def keep(self, outcome: Outcome) -> str:
        if outcome.status is not Status.REJECTED:
            return ""
        self.outcomes.append(outcome)
        return f"memory[{len(self.outcomes) - 1}]"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
new_keys = st.text(min_size=1, max_size=10)


def vary(
    draw: st.DrawFn,
    schema: dict[str, Any],
    value: Any,
    path: str,
    drop_required: bool,
    added: list[str],
    dropped_required: list[str],
) -> None:
    """Walk an object beside its schema: drop optional keys, add keys the schema lacks."""
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            vary(draw, schema["items"], item, f"{path}[]", drop_required, added, dropped_required)
        return
    properties = schema.get("properties")
    if not isinstance(value, dict) or not isinstance(properties, dict):
        return
    required = set(schema.get("required", []))
    for key in list(value):
        if key in properties:
            vary(
                draw,
                properties[key],
                value[key],
                dotted(path, [key]),
                drop_required,
                added,
                dropped_required,
            )
        if (key not in required or drop_required) and draw(st.integers(0, 5)) == 0:
            del value[key]
            gone = dotted(path, [key])
            for paths in (added, dropped_required):  # what was changed inside went with it
                paths[:] = [p for p in paths if not p.startswith((gone + ".", gone + "["))]
            if key in required:
                dropped_required.append(gone)
    for _ in range(draw(st.integers(0, 1))):
        key = draw(new_keys.filter(lambda k: k not in properties and k not in value))
        value[key] = draw(json_values)
        added.append(dotted(path, [key]))


@st.composite
def varied_events(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], list[str]]:
    name = draw(st.sampled_from(TYPES))
    event = copy.deepcopy(ORIGINALS[name])
    schema = schema_set().for_detail_type(name)
    assert schema is not None
    added: list[str] = []
    dropped: list[str] = []
    vary(draw, schema.document, event["detail"], "detail", draw(st.booleans()), added, dropped)
    return event, added, dropped


ORIGINALS = {name: source_event(name) for name in TYPES}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(varied_events(), min_size=1, max_size=4), st.sampled_from(["text", "json"]))
def test_generated_variations_never_crash_and_never_lose_a_record(
    batch: list[tuple[dict[str, Any], list[str], list[str]]], log_format: str
) -> None:
    records = records_of(*(encode(event) for event, _, _ in batch))
    quarantine = Kept()
    out = io.StringIO()
    settings = Settings(log_format=log_format)
    sinks = app.build_sinks(settings, stream=out, quarantine=quarantine, container=app.Container())
    outcomes = app.run(records, settings, sinks)

    assert [o.record for o in outcomes] == records  # exactly one outcome each, in order
    assert [o.record for o in quarantine.outcomes] == [
        o.record for o in outcomes if o.status is Status.REJECTED
    ]
    for outcome, (_, added, dropped) in zip(outcomes, batch, strict=True):
        tally(f"{outcome.status.value}{' with new fields' if added else ''}")
        if dropped:  # a required field is gone: rejected with the rule, never a crash
            assert outcome.status is Status.REJECTED, outcome.message
            assert outcome.reason == "schema_invalid"
            assert outcome.violation is not None and outcome.violation.rule == "required"
        else:  # only new fields and missing optional ones: processed, drift reported
            assert outcome.status is Status.PROCESSED, outcome.message
            assert {f.path for f in outcome.new_fields} == set(added)
    assert emf(out.getvalue())["Records"] == len(records)


def test_compare_first_only_keeps_one_new_field_per_path() -> None:
    items = [{"name": "x", "colour": str(i)} for i in range(1000)]
    new, _ = compare(SCHEMA, {"id": "a", "tags": items}, first_only=True)
    assert new == unique_new_fields(compare(SCHEMA, {"id": "a", "tags": items})[0])
    assert [f.example for f in new] == ["0"]
