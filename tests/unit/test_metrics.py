"""Metrics in CloudWatch Embedded Metric Format: every document valid by the specification,
bounded dimensions, and counts that add up to the batch.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.sinks.metrics import MAX_VALUES
from tests.helpers import EVENTS, encode, records_of, run_batch, source_event

# --- a validator written from the EMF specification -----------------------------------------
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def emf_errors(doc: Any) -> list[str]:
    """Everything in `doc` that the EMF specification forbids; [] for a valid document."""
    errors: list[str] = []
    if not isinstance(doc, dict):
        return ["root: not a JSON object"]
    meta = doc.get("_aws")
    if not isinstance(meta, dict):
        return ["_aws: missing or not an object"]
    timestamp = meta.get("Timestamp")
    if not (isinstance(timestamp, int) and not isinstance(timestamp, bool) and timestamp >= 0):
        errors.append("_aws.Timestamp: must be milliseconds since the epoch")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*errors, "_aws.CloudWatchMetrics: must be a non-empty list"]
    for i, directive in enumerate(directives):
        where = f"_aws.CloudWatchMetrics[{i}]"
        if not isinstance(directive, dict):
            errors.append(f"{where}: not an object")
            continue
        namespace = directive.get("Namespace")
        if not (isinstance(namespace, str) and 1 <= len(namespace) <= 1024):
            errors.append(f"{where}.Namespace: must be a string of 1 to 1024 characters")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list):
            errors.append(f"{where}.Dimensions: must be a list of dimension sets")
            dimension_sets = []
        for j, dimension_set in enumerate(dimension_sets):
            if not isinstance(dimension_set, list) or not all(
                isinstance(key, str) for key in dimension_set
            ):
                errors.append(f"{where}.Dimensions[{j}]: must be a list of strings")
                continue
            if len(dimension_set) > 30:
                errors.append(f"{where}.Dimensions[{j}]: more than 30 dimensions")
            for key in dimension_set:
                if not isinstance(doc.get(key), str):
                    errors.append(f"{key}: a dimension must be a string member of the root")
                elif not 1 <= len(doc[key]) <= 1024:
                    errors.append(f"{key}: a dimension value has 1 to 1024 characters")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list):
            errors.append(f"{where}.Metrics: must be a list")
            continue
        if len(metrics) > 100:
            errors.append(f"{where}.Metrics: more than 100 metrics")
        for k, metric in enumerate(metrics):
            if not isinstance(metric, dict) or not isinstance(metric.get("Name"), str):
                errors.append(f"{where}.Metrics[{k}]: must have a Name")
                continue
            name = metric["Name"]
            if not 1 <= len(name) <= 1024:
                errors.append(f"{name}: a metric name has 1 to 1024 characters")
            if "Unit" in metric and metric["Unit"] not in UNITS:
                errors.append(f"{name}: unknown unit {metric['Unit']!r}")
            value = doc.get(name)
            if isinstance(value, list):
                if not value or len(value) > 100 or not all(_is_number(v) for v in value):
                    errors.append(f"{name}: a list of 1 to 100 numbers is expected")
            elif not _is_number(value):
                errors.append(f"{name}: a number (or a list of numbers) must be at the root")
        names = [m.get("Name") for m in metrics if isinstance(m, dict)]
        if len(names) != len(set(names)):
            errors.append(f"{where}.Metrics: a metric name appears twice")
    return errors


def emf_lines(out: str) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    assert docs, "no EMF document"
    return docs


def test_the_validator_rejects_what_the_specification_forbids() -> None:
    good = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {"Namespace": "N", "Dimensions": [["A"]], "Metrics": [{"Name": "M"}]}
            ],
        },
        "A": "a",
        "M": [1, 2.5],
    }
    assert emf_errors(good) == []
    bad: list[dict[str, Any]] = [
        {**good, "A": 1},  # dimension not a string
        {k: v for k, v in good.items() if k != "A"},  # dimension missing
        {**good, "M": "1"},  # metric value a string
        {**good, "M": []},
        {**good, "M": list(range(101))},
        {**good, "_aws": {**good["_aws"], "Timestamp": "now"}},
        {**good, "_aws": {"Timestamp": 1, "CloudWatchMetrics": []}},
    ]
    directive = good["_aws"]["CloudWatchMetrics"][0]
    for change in [
        {"Dimensions": [["A"] * 31]},
        {"Dimensions": ["A"]},
        {"Metrics": [{"Name": f"M{i}"} for i in range(101)]},
        {"Metrics": [{"Name": "M", "Unit": "Calls"}]},
        {"Namespace": ""},
    ]:
        bad.append(
            {**good, "_aws": {**good["_aws"], "CloudWatchMetrics": [{**directive, **change}]}}
        )
    for doc in bad:
        assert emf_errors(doc), doc


# --- the documents of real batches ----------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(app, "CONTAINER", app.Container())
    yield


def json_lines(name: str) -> list[dict[str, Any]]:
    """Every JSON line written for events/<name>.json (record lines and EMF documents)."""
    event = json.loads((EVENTS / f"{name}.json").read_text())
    records = [KinesisRecord.from_lambda(r) for r in event["Records"]]
    _, text = run_batch(records, Settings(log_format="json", stage="dev"))
    return [json.loads(line) for line in text.splitlines()]


def handler_event_docs(name: str) -> tuple[int, list[dict[str, Any]]]:
    """Run events/<name>.json through the batch loop; its record count and EMF documents."""
    event = json.loads((EVENTS / f"{name}.json").read_text())
    records = [KinesisRecord.from_lambda(r) for r in event["Records"]]
    _, text = run_batch(records, Settings(log_format="json", stage="dev"))
    return len(records), emf_lines(text)


@pytest.mark.parametrize("name", ["mixed-batch", "bad-records", "CallSummary"])
def test_every_document_is_valid_emf_and_the_counts_add_up(name: str) -> None:
    size, docs = handler_event_docs(name)
    for doc in docs:
        assert emf_errors(doc) == []
    batch = docs[-1]  # the batch document closes the batch's log
    assert batch["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Service", "Stage"]]
    assert batch["Records"] == size
    outcomes = ["RecordsProcessed", "RecordsSkipped", "RecordsRejected", "RecordsFailed"]
    assert sum(batch[m] for m in outcomes) == size
    per_type = [d for d in docs if "DetailType" in d]
    assert sum(d["Records"] for d in per_type) <= size
    assert sum(d["RecordsProcessed"] for d in per_type) == batch["RecordsProcessed"]
    for doc in per_type:
        assert doc["Records"] == doc["RecordsProcessed"] + doc["RecordsRejected"]
    assert len({d["_aws"]["Timestamp"] for d in docs}) == 1


def test_mixed_batch_metrics() -> None:
    _, docs = handler_event_docs("mixed-batch")
    batch = docs[-1]
    assert batch["Service"] == "operata-kinesis-processor" and batch["Stage"] == "dev"
    assert batch["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Operata/EventProcessor"
    # One count per registered type in the batch; a type with no schema yet (QueueHealthSummary)
    # counts as "Other", so the dimension stays bounded.
    expected: dict[str, int] = {}
    for record in json.loads((EVENTS / "mixed-batch.json").read_text())["Records"]:
        detail_type = json.loads(base64.b64decode(record["kinesis"]["data"]))["detail-type"]
        key = detail_type if detail_type in EVENT_TYPES else "Other"
        expected[key] = expected.get(key, 0) + 1
    assert "Other" in expected and set(expected) - {"Other"} == set(EVENT_TYPES)
    assert {d["DetailType"]: d["RecordsProcessed"] for d in docs if "DetailType" in d} == expected
    # The quality counts and MOS values are those of the calls' own log lines.
    calls = [line for line in json_lines("mixed-batch") if line.get("detailType") == "CallSummary"]
    quality = {"Excellent": 0, "Good": 0, "Issues detected": 0, "n/a": 0}
    for call in calls:
        quality[call["overallQuality"]] += 1
    assert [
        batch[f"CallsQuality{name}"] for name in ["Excellent", "Good", "Issues", "Unknown"]
    ] == [
        quality["Excellent"],
        quality["Good"],
        quality["Issues detected"],
        quality["n/a"],
    ]
    assert len([n for n in quality.values() if n]) >= 2, (
        "the samples hold calls of several qualities"
    )
    # CloudWatch's Average of these is the MOS average
    assert batch["MOS"] == [call["mos"] for call in calls if call["mos"] is not None]
    units = {m["Name"]: m["Unit"] for m in batch["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units["MOS"] == "None" and units["Records"] == "Count"


def test_bad_records_metrics() -> None:
    _size, docs = handler_event_docs("bad-records")
    batch = docs[-1]
    assert batch["RecordsRejected"] == 6 and batch["RecordsSkipped"] == 1
    call = next(d for d in docs if d.get("DetailType") == "CallSummary")
    assert call["RecordsRejected"] == 1  # the schema-invalid one is counted under its type
    # the spoofed source is not Operata's: its detail-type is never a dimension value
    assert all(
        d.get("DetailType") in {None, "CallSummary", "HeadsetSummary", "Other"} for d in docs
    )


def test_dimensions_are_few_and_never_per_agent_queue_or_contact() -> None:
    _, docs = handler_event_docs("mixed-batch")
    for doc in docs:
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                assert set(dimension_set) <= {"Service", "Stage", "DetailType"}


def test_no_calls_no_mos_and_zero_counts_are_written() -> None:
    _, text = run_batch(records_of(encode(source_event("HeadsetSummary"))), Settings())
    batch = emf_lines(text)[-1]
    assert emf_errors(batch) == []
    assert "MOS" not in batch
    assert batch["RecordsFailed"] == 0 and batch["CallsQualityIssues"] == 0


def test_more_than_100_calls_split_mos_over_documents() -> None:
    event = source_event("CallSummary")
    _outcomes, text = run_batch(records_of(*[encode(event)] * 250), Settings())
    docs = emf_lines(text)
    for doc in docs:
        assert emf_errors(doc) == []
    mos = [v for d in docs if "DetailType" not in d and "MOS" in d for v in d["MOS"]]
    assert mos == [4.25] * 250
    assert docs[-1]["Records"] == 250


def test_an_empty_batch_still_writes_a_valid_document() -> None:
    _outcomes, text = run_batch([], Settings())
    docs = emf_lines(text)
    assert len(docs) == 1 and emf_errors(docs[0]) == []
    assert docs[0]["Records"] == 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["CallSummary", "CallSummary-minimal", "InsightsSummary", "HeadsetSummary",
             "AgentReportedIssue", "QueueHealthSummary", "not json", "spoofed"]
        ),
        min_size=0,
        max_size=30,
    )
)  # fmt: skip
def test_generated_batches_always_add_up(names: list[str]) -> None:
    payloads = []
    for name in names:
        if name == "not json":
            payloads.append(b"{")
        elif name == "spoofed":
            event = source_event("CallSummary")
            event["source"] = "aws.partner/operata.comx/spoofed"
            payloads.append(encode(event))
        else:
            payloads.append(encode(source_event(name)))
    _outcomes, text = run_batch(records_of(*payloads), Settings(log_format="json"))
    docs = emf_lines(text)
    assert all(emf_errors(d) == [] for d in docs)
    batch = docs[-1]
    assert batch["Records"] == len(names)
    statuses = ["RecordsProcessed", "RecordsSkipped", "RecordsRejected", "RecordsFailed"]
    assert sum(batch[s] for s in statuses) == len(names)
    per_type = {d["DetailType"]: d["Records"] for d in docs if "DetailType" in d}
    assert sum(per_type.values()) == len(names) - names.count("not json") - names.count("spoofed")
    calls = names.count("CallSummary") + names.count("CallSummary-minimal")
    assert sum(batch[f"CallsQuality{q}"] for q in ["Excellent", "Good", "Issues", "Unknown"]) == (
        calls
    )
    assert len(batch.get("MOS", [])) == min(names.count("CallSummary"), MAX_VALUES)
