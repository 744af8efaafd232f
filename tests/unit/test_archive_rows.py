"""The archive's row: one per processed event, the table's columns, the type's summary fields,
the whole detail as JSON (redacted as the log is), and never above Firehose's record limit."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from operata_lambda.archive.rows import (
    COLUMNS,
    MAX_ROW_BYTES,
    PARTITIONS,
    by_path,
    encoded,
    row,
)
from operata_lambda.events.common import Treatment
from operata_lambda.events.registry import EVENT_TYPES, OTHER_TYPE
from operata_lambda.pipeline.batch import examine
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.rendering.redact import redact
from operata_lambda.validation.schemas import schema_set
from tests.helpers import ONE_CONTACT_TYPES, SOURCES, encode, records_of, source_event
from tests.unit.test_hostile import put
from tests.unit.test_personal_data import SECRET, SHAPES, masked_cases

SAMPLES = sorted(path.stem for path in SOURCES.glob("*.json"))


def processed(event: dict[str, Any]) -> Outcome:
    outcome = examine(records_of(encode(event))[0], schema_set(""))
    assert outcome.status is Status.PROCESSED, outcome.message
    return outcome


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_has_a_row_of_the_tables_columns(name: str) -> None:
    event = source_event(name)
    built = row(processed(event))
    assert list(built) == [*COLUMNS, *PARTITIONS]
    assert built["event_id"] == event["id"]
    assert built["sent_detail_type"] == event["detail-type"]
    assert built["event_date"] == event["time"][:10]
    assert built["event_time"].startswith(event["time"][:10] + " " + event["time"][11:19])
    assert json.loads(built["detail"]) == event["detail"]
    assert built["detail_omitted"] is False


@pytest.mark.parametrize("name", SAMPLES)
def test_a_known_type_has_its_own_partition_and_others_share_one(name: str) -> None:
    event = source_event(name)
    built = row(processed(event))
    known = event["detail-type"] in EVENT_TYPES
    assert built["detail_type"] == (event["detail-type"] if known else OTHER_TYPE)


def test_each_type_names_where_its_contact_id_is() -> None:
    """AgentReportedIssue keeps it in its context; the other published types under
    contact.id.current; every type's path leads to text in its sample, and the row carries it."""
    for detail_type, event_type in EVENT_TYPES.items():
        if detail_type in ONE_CONTACT_TYPES:
            expected_path = (
                "context.callContactId"
                if detail_type == "AgentReportedIssue"
                else "contact.id.current"
            )
            assert event_type.contact_id == expected_path
        if not event_type.contact_id:
            continue
        event = source_event(detail_type)
        contact = by_path(event["detail"], event_type.contact_id)
        assert isinstance(contact, str) and contact
        assert row(processed(event))["contact_id"] == contact


def test_the_samples_of_one_contact_share_its_id() -> None:
    """The published types' main samples are about one contact, so its timeline joins them."""
    names = [name for name in ONE_CONTACT_TYPES if name in EVENT_TYPES]
    ids = {row(processed(source_event(name)))["contact_id"] for name in names}
    assert len(names) > 1 and len(ids) == 1


def test_summary_fields_are_the_reports_values() -> None:
    outcome = processed(source_event("CallSummary"))
    built, summary = row(outcome), outcome.summary
    assert built["mos"] == summary["mos"]
    assert built["queue"] == summary["queue"]
    assert built["agent"] == summary["agent"]
    assert built["overall_quality"] == summary["overallQuality"]
    assert built["isp"] == by_path(outcome.envelope.detail, "serviceAgent.network.isp")  # type: ignore[union-attr]
    insights = processed(source_event("InsightsSummary"))
    tags = [t["description"] for t in insights.envelope.detail["insights"]["tags"]]  # type: ignore[union-attr]
    assert row(insights)["insight_tags"] == tags


def test_every_types_archive_fields_are_columns() -> None:
    for detail_type, event_type in EVENT_TYPES.items():
        outcome = processed(source_event(detail_type))
        assert set(event_type.archive(outcome.detail)) <= set(COLUMNS)


def test_a_value_of_another_type_keeps_the_column_type() -> None:
    """After `schemas update --allow-type-change` a number may arrive as text, or the reverse:
    a number column holds null, a text column the value as JSON text."""
    outcome = processed(source_event("CallSummary"))
    outcome.detail.web_rtc_session.metrics.mos.avg = "4.2"
    outcome.detail.contact.queue_name = 42
    built = row(outcome)
    assert built["mos"] is None
    assert built["queue"] == "42"


def test_an_unknown_type_keeps_its_name_and_detail() -> None:
    event = source_event("CallSummary")
    event["detail-type"] = "BrandNewSummary"
    built = row(processed(event))
    assert built["detail_type"] == OTHER_TYPE
    assert built["sent_detail_type"] == "BrandNewSummary"
    assert built["contact_id"] is None
    assert json.loads(built["detail"]) == event["detail"]


def test_redaction_masks_the_rows_texts_as_the_log_does() -> None:
    event = source_event("CallSummary")
    caller = event["detail"]["contact"]["callerId"]
    ip = event["detail"]["serviceAgent"]["network"]["mediaIpAddress"]
    plain = encoded(row(processed(event))).decode()
    masked = encoded(row(processed(event), redact=True)).decode()
    assert caller in plain and ip in plain
    assert caller not in masked and ip not in masked
    assert redact(caller) in masked


def test_an_oversized_detail_is_left_out_and_flagged_the_summary_kept() -> None:
    event = source_event("CallSummary")
    event["detail"]["padding"] = "x" * (MAX_ROW_BYTES + 10)
    built = row(processed(event))
    line = encoded(built)
    assert len(line) <= MAX_ROW_BYTES + 1 and line.endswith(b"\n")
    kept = json.loads(line)
    assert kept["detail"] is None and kept["detail_omitted"] is True
    assert kept["mos"] == built["mos"] and kept["event_id"] == event["id"]


def test_a_summary_too_big_without_its_detail_is_clipped() -> None:
    event = source_event("InsightsSummary")
    event["detail"]["insights"]["tags"] = [{"description": "y" * 5000} for _ in range(400)]
    line = encoded(row(processed(event)))
    assert len(line) <= MAX_ROW_BYTES + 1
    kept = json.loads(line)
    assert kept["detail_omitted"] is True and kept["insight_tags"]


@pytest.mark.parametrize(("sample", "path", "treatment"), masked_cases())
@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_no_masked_value_reaches_a_row(
    sample: str, path: str, treatment: Treatment, shape: int
) -> None:
    """Every personal field docs/personal-data.md masks, in every shape: the row holds none of
    it (the processed record's envelope carries the value as sent)."""
    value, secret = SECRET[treatment]
    event = source_event(sample)
    if shape == 1:  # a string with extra characters passes the schema: the record itself
        put(event["detail"], path, SHAPES[shape](value))
        outcome = processed(event)
    else:
        outcome = processed(event)
        detail = copy.deepcopy(event["detail"])
        put(detail, path, SHAPES[shape](value))
        envelope = dataclasses.replace(outcome.envelope, detail=detail)
        outcome = dataclasses.replace(outcome, envelope=envelope)
    assert secret in encoded(row(outcome)).decode()
    assert secret not in encoded(row(outcome, redact=True)).decode()
