"""Every line the function writes, case by case for each class of hostile input: the escaping
rule, deep and large values, the README's metric filters, bounded drift, traceable DEBUG lines,
redaction before clipping, and the last-resort line."""

from __future__ import annotations

import io
import json
import re
import sys
import unicodedata
from typing import Any

import pytest

from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.batch import examine
from operata_lambda.pipeline.outcomes import Status
from operata_lambda.rendering import drift_notices, lines, safe
from operata_lambda.rendering.drift_notices import DriftNotices
from operata_lambda.sinks.base import SinkUnavailable
from operata_lambda.sinks.report import Report
from operata_lambda.validation.schemas import schema_set
from tests.helpers import ROOT, encode, records_of, run_batch, source_event

UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
CONFIGURATIONS = [
    Settings(log_format=f, log_level=level, redact_pii=r)
    for f in ("text", "json")
    for level in ("INFO", "DEBUG")
    for r in (False, True)
]


@pytest.fixture(autouse=True)
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "CONTAINER", app.Container())


def unknown_event(detail: dict[str, Any]) -> dict[str, Any]:
    unknown = [n for n in ("QueueHealthSummary",) if n not in EVENT_TYPES]
    event = source_event(unknown[0])
    event["detail"] = detail
    return event


# --- one escaping rule -----------------------------------------------------------------------


def test_the_rule_escapes_exactly_the_control_separator_and_format_characters() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        unsafe = unicodedata.category(char) in UNSAFE_CATEGORIES
        assert bool(safe.UNSAFE.match(char)) == unsafe == safe.has_unsafe(char), hex(code)


ONE_OF_EACH = (  # Cc, Zl, Zp, Cf (bidi, zero-width, BOM, soft hyphen, tag), Cs
    "\x0b\x0c\x1c\x85\u2028\u2029\u202e\u200b\ufeff\u2066\xad\U000e0001\ud800\x1b\x00"
)


def places(text: str) -> dict[str, dict[str, Any]]:
    """Where event text reaches a line, each as an event holding `text` there."""
    call = source_event("CallSummary")
    call["detail"]["contact"]["queueName"] = text
    drift = source_event("CallSummary")
    drift["detail"]["contact"][f"new{text}"] = {text: text}
    wrong = source_event("CallSummary")
    wrong["detail"]["contact"]["queueName"] = {text: [text]}
    skip = source_event("CallSummary")
    skip["source"] = f"aws.other/{text}"
    kind = source_event("CallSummary")
    kind["detail-type"] = f"Kind{text}"
    return {
        "value": call,
        "raw block value and key": unknown_event({"queueName": text, text: 1}),
        "drift path and example": drift,
        "rejection value and message": wrong,
        "skip line": skip,
        "detail-type": kind,
    }


@pytest.mark.parametrize("settings", CONFIGURATIONS, ids=str)
@pytest.mark.parametrize("place", list(places("")))
def test_no_raw_unsafe_character_in_any_place(settings: Settings, place: str) -> None:
    event = places(f"a{ONE_OF_EACH}PROCESSED seq=forged")[place]
    records = records_of(encode(event))
    record = records[0]
    records[0] = type(record)(
        f"{record.sequence_number}\u202e",
        f"pk{ONE_OF_EACH}",
        record.data,
        *[record.shard_id, record.stream_arn, record.arrival_time],
    )
    _, text = run_batch(records, settings)
    raw = {c for c in text if c != "\n" and unicodedata.category(c) in UNSAFE_CATEGORIES}
    assert raw == set()
    assert not any(line.startswith("PROCESSED seq=forged") for line in text.split("\n"))


# --- the README's metric filters -------------------------------------------------------------


def readme_filters() -> tuple[list[str], list[tuple[str, str]]]:
    readme = (ROOT / "README.md").read_text()
    words = re.findall(r'\[word = "([A-Z]+)", \.\.\.\]', readme)
    fields = re.findall(r'\{ \$\.(\w+) = "([^"]+)" \}', readme)
    return words, fields


def test_the_readme_metric_filters_match_only_the_functions_lines() -> None:
    words, fields = readme_filters()
    assert words and fields
    bait = " ".join([*words, "Error parsing", '{"outcome":"rejected"}', "schema drift"])
    events = [places(f"\n{bait}\u2028{bait}")[p] for p in places("")]
    payloads = [encode(e) for e in events] + [b"{", encode(source_event("CallSummary"))]
    for settings in (Settings(log_format="text"), Settings(log_format="json")):
        app.CONTAINER = app.Container()  # drift told afresh
        outcomes, text = run_batch(records_of(*payloads), settings)
        written = text.split("\n")[:-1]
        if settings.log_format == "text":
            for word in words:
                matched = [x for x in written if x.split(" ", 1)[0] == word]
                assert len(matched) == sum(o.status.value.upper() == word for o in outcomes)
        else:
            entries = [json.loads(x) for x in written]
            expected = {
                ("outcome", "rejected"): sum(o.status is Status.REJECTED for o in outcomes),
                ("reason", "processing_error"): 0,
                ("message", "schema drift"): sum(len(o.new_fields) for o in outcomes),
            }
            for key, value in fields:
                matched = [e for e in entries if e.get(key) == value]
                assert len(matched) == expected[(key, value)], (key, value)


# --- depth and size --------------------------------------------------------------------------


def nested_payload(event: dict[str, Any], where: list[str], depth: int) -> bytes:
    target = event
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = "__DEEP__"
    return json.dumps(event).replace('"__DEEP__"', '{"n":' * depth + "1" + "}" * depth).encode()


@pytest.mark.parametrize("depth", [safe.MAX_DEPTH + 1, 990, 1100, 2500])
@pytest.mark.parametrize("kind", ["unknown type", "new field", "wrong type"])
def test_deep_values_have_one_outcome_in_every_configuration(depth: int, kind: str) -> None:
    if kind == "unknown type":
        payload = nested_payload(unknown_event({}), ["detail", "deep"], depth)
    elif kind == "new field":
        payload = nested_payload(source_event("CallSummary"), ["detail", "contact", "x"], depth)
    else:
        payload = nested_payload(source_event("CallSummary"), ["detail", "contact", "id"], depth)
    seen = set()
    for settings in CONFIGURATIONS:
        outcomes, text = run_batch(records_of(payload), settings)
        (outcome,) = outcomes
        assert outcome.status is not Status.FAILED
        assert outcome.reason != "processing_error", outcome.message
        seen.add((outcome.status, outcome.reason))
        assert max(len(x) for x in text.split("\n")) <= safe.MAX_LINE + safe.MAX_TEXT_LINE
    assert len(seen) == 1


def test_large_arrays_and_objects_are_shown_in_part() -> None:
    size = safe.MAX_ITEMS * 3
    detail = {"many": list(range(size)), "keys": {f"k{i}": i for i in range(size)}}
    for settings in (Settings(log_format="text"), Settings(log_format="json", log_level="DEBUG")):
        _, text = run_batch(records_of(encode(unknown_event(detail))), settings)
        assert f"{size - safe.MAX_ITEMS} more items left out" in text
        assert f"{size - safe.MAX_ITEMS} more keys left out" in text


def test_a_text_value_is_cut_at_max_value_characters() -> None:
    event = source_event("CallSummary")
    event["detail"]["contact"]["queueName"] = "q" * (safe.MAX_VALUE + 10)
    _, text = run_batch(records_of(encode(event)), Settings())
    (line,) = [x for x in text.split("\n") if x.startswith("  Queue: ")]
    assert line == f"  Queue: {'q' * safe.MAX_VALUE}…[10 more characters left out]"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_redaction_runs_before_a_value_is_cut(log_format: str) -> None:
    number = "+61412345678"
    for at in range(safe.MAX_VALUE - len(number), safe.MAX_VALUE + 1):
        event = source_event("CallSummary")
        event["detail"]["contact"]["queueName"] = "q" * at + number
        settings = Settings(log_format=log_format, redact_pii=True)
        _, text = run_batch(records_of(encode(event)), settings)
        assert "4123" not in text and "+6141" not in text, at


# --- drift -----------------------------------------------------------------------------------


def drifting(count: int, prefix: str = "f") -> bytes:
    event = source_event("CallSummary")
    event["detail"]["contact"].update({f"{prefix}{i}": i for i in range(count)})
    return encode(event)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_record_names_at_most_max_named_new_fields(log_format: str) -> None:
    extra = 7
    count = drift_notices.MAX_NAMED + extra
    outcomes, text = run_batch(records_of(drifting(count)), Settings(log_format=log_format))
    assert len(outcomes[0].new_fields) == count
    if log_format == "text":
        named = [x for x in text.split("\n") if x.startswith("SCHEMA DRIFT") and "new field " in x]
        assert f"and {extra} more new fields" in text
    else:
        entries = [json.loads(x) for x in text.split("\n")[:-1]]
        named = [e for e in entries if e.get("message") == "schema drift" and e.get("path")]
        assert [e["moreNewFields"] for e in entries if "moreNewFields" in e] == [extra]
    assert len(named) == drift_notices.MAX_NAMED
    _, again = run_batch(records_of(drifting(count)), Settings(log_format=log_format))
    assert again.count("contact.f") == extra  # the rest, named by the next record


def test_the_told_fields_are_bounded_oldest_forgotten_first() -> None:
    notices = DriftNotices(capacity=3)
    outcome = examine(records_of(drifting(5))[0], schema_set())
    notices.told(outcome.detail_type, outcome.new_fields)
    assert [f.path for f in notices.untold(outcome)] == [f.path for f in outcome.new_fields[:2]]


class BrokenStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("stdout closed")


def test_a_drift_warning_lost_with_its_line_is_written_on_retry() -> None:
    notices = DriftNotices()
    outcome = examine(records_of(drifting(1))[0], schema_set())
    with pytest.raises(SinkUnavailable):
        Report(Settings(), BrokenStream(), drift=notices).take(outcome)()
    out = io.StringIO()
    Report(Settings(), out, drift=notices).take(outcome)()
    assert "SCHEMA DRIFT CallSummary: new field detail.contact.f0" in out.getvalue()


# --- DEBUG lines -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, safe.MAX_NODES])
def test_every_debug_line_names_its_record_and_request_also_when_cut(size: int) -> None:
    event = unknown_event({f"k{i}": "v" * safe.MAX_VALUE for i in range(size)})
    record = records_of(encode(event))[0]
    outcome = examine(record, schema_set())
    for log_format in ("text", "json"):
        out = io.StringIO()
        settings = Settings(log_format=log_format, log_level="DEBUG")
        report = Report(settings, out, invocation=app.Invocation("req-42"))
        report.take(outcome)()
        (debug,) = [x for x in out.getvalue().split("\n") if "envelope" in x[:40]]
        if log_format == "text":
            assert debug.startswith("DEBUG envelope {")
            debug = debug.removeprefix("DEBUG envelope ")
        entry = json.loads(debug)
        assert entry["requestId"] == "req-42"
        assert entry["sequenceNumber"] == record.sequence_number
        assert ("truncated" in entry) == (size == safe.MAX_NODES)


# --- the last-resort line --------------------------------------------------------------------


def test_a_rejection_whose_line_cannot_be_made_still_gets_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: Any) -> list[str]:
        raise RecursionError("maximum recursion depth exceeded")

    record = records_of(b"{")[0]
    outcome = examine(record, schema_set())
    monkeypatch.setattr(lines, "text_lines", broken)
    monkeypatch.setattr(lines, "json_entry", broken)
    for log_format in ("text", "json"):
        out = io.StringIO()
        Report(Settings(log_format=log_format), out).take(outcome)()
        (line,) = out.getvalue().split("\n")[:-1]
        if log_format == "json":
            entry = json.loads(line)
            assert (entry["outcome"], entry["reason"]) == ("rejected", outcome.reason)
            assert entry["sequenceNumber"] == record.sequence_number
        else:
            assert line.startswith(f"REJECTED seq={record.sequence_number} ")
            assert f"reason={outcome.reason}: Error processing event:" in line


def test_a_raw_block_holds_at_most_what_one_json_line_holds() -> None:
    detail = {f"k{i}": "v" * safe.MAX_VALUE for i in range(safe.MAX_ITEMS)}
    _, text = run_batch(records_of(encode(unknown_event(detail))), Settings())
    block = text.split("Unknown event type - raw data:\n", 1)[1].split(f"\n{'=' * 42}", 1)[0]
    assert len(block) <= safe.MAX_LINE + 100
    assert block.endswith("more lines left out]")


@pytest.mark.parametrize("depth", [safe.MAX_DEPTH - 2, safe.MAX_DEPTH + 1, 300])
def test_a_json_line_nests_at_most_max_depth_levels(depth: int) -> None:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"n": value}
    line = json.loads(safe.json_line({"value": value}))
    levels = 0
    while isinstance(line, dict):
        line, levels = line.get("n", line.get("value")), levels + 1
    assert levels <= safe.MAX_DEPTH + 1
    assert (line == "leaf") == (depth < safe.MAX_DEPTH)


def test_the_documented_bounds_are_the_code_s() -> None:
    """docs/records.md's table of bounds: each named constant with its value as the code has it."""
    table = (ROOT / "docs" / "records.md").read_text()
    rows = re.findall(r"^\| [^|]*\(`(?:(\w+)\.)?([A-Z_]+)`\) \| ([\d,]+)( K)?", table, re.M)
    modules = {"": safe, "drift_notices": drift_notices}
    assert len(rows) >= 7
    for module, name, number, kilo in rows:
        value = int(number.replace(",", "")) * (1024 if kilo else 1)
        assert getattr(modules[module], name) == value, name
