"""The typed models built from each fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from operata_lambda.events.agent_reported_issue import AgentReportedIssue
from operata_lambda.events.builders import build
from operata_lambda.events.call_summary import CallSummary
from operata_lambda.events.common import Envelope, EventType, parse_time
from operata_lambda.events.headset_summary import HeadsetSummary
from operata_lambda.events.insights_summary import InsightsSummary
from tests.helpers import source_event


def test_envelope_time_is_timezone_aware() -> None:
    envelope = Envelope.from_dict(source_event("CallSummary"))
    assert envelope.time == datetime(2023, 6, 1, 5, 0, 13, tzinfo=UTC)
    assert envelope.detail_type == "CallSummary"
    assert envelope.source.startswith("aws.partner/operata.com/")


def test_time_with_an_offset_is_converted_to_utc() -> None:
    event = {**source_event("CallSummary"), "time": "2023-06-01T15:00:13.5+10:00"}
    envelope = Envelope.from_dict(event)
    assert envelope.time == datetime(2023, 6, 1, 5, 0, 13, 500000, tzinfo=UTC)
    assert envelope.time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2023-06-01T05:00:13",  # no offset: not RFC 3339
        "2023-06-01",
        "2023-W22-5",
        "20230601T050013Z",
        "yesterday",
        "0001-01-01T00:00:00+01:00",  # before the first UTC instant
    ],
)
def test_time_that_is_not_rfc_3339_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_call_summary_attributes_are_snake_case() -> None:
    call = CallSummary.from_dict(source_event("CallSummary")["detail"])
    assert call.contact.id.current == "ac7a6a89-1111-2222-3333-1e659475d24e"
    assert call.contact.queue_name == "Operata Prod Default Queue"
    assert call.web_rtc_session is not None and call.web_rtc_session.metrics is not None
    assert call.web_rtc_session.metrics.mos is not None
    assert call.web_rtc_session.metrics.mos.avg == 4.25
    assert call.service_agent is not None and call.service_agent.interaction is not None
    assert call.service_agent.interaction.total_duration_sec == 14
    assert call.web_rtc_session.used_devices is not None
    assert call.web_rtc_session.used_devices[0].kind == "audioinput"


def test_models_round_trip_to_the_json_names() -> None:
    detail = source_event("CallSummary")["detail"]
    data = CallSummary.from_dict(detail).to_dict()
    assert data["webRTCSession"]["metrics"]["inbound"]["packetsLostPercentage"] == 1.85
    assert data["serviceAgent"]["friendlyName"] == "Andy"


def test_missing_optional_parts_are_none() -> None:
    call = CallSummary.from_dict(source_event("CallSummary-minimal")["detail"])
    assert call.web_rtc_session is None
    assert call.service_agent is None


@pytest.mark.parametrize(
    ("name", "model", "identifier"),
    [
        ("InsightsSummary", InsightsSummary, "ac7a6a89-1111-2222-3333-1e659475d24e"),
        ("HeadsetSummary", HeadsetSummary, "ac7a6a89-1111-2222-3333-1e659475d24e"),
    ],
)
def test_contact_types(name: str, model: type, identifier: str) -> None:
    built = model.from_dict(source_event(name)["detail"])  # type: ignore[attr-defined]
    assert built.contact.id.current == identifier
    assert built == build(model, source_event(name)["detail"])


def test_agent_reported_issue() -> None:
    issue = AgentReportedIssue.from_dict(source_event("AgentReportedIssue")["detail"])
    assert issue.id == "issue-5c1e0b7a-9d2f-4e8a-b6c3-2f7a9e1d4b80"
    assert issue.context is not None and issue.context.severity == "High"
    assert issue.system is not None and issue.system.memory is not None
    assert issue.system.memory.available == 1.2
    assert issue.softphone_error is not None and issue.softphone_error.type == "MediaStreamError"


# --- the models are dataclasses-json models, loaded on first use ----------------------------


def _all_models() -> list[type]:
    """Every model class: the shared ones and those of each registered type's module."""
    import dataclasses
    import sys

    from operata_lambda.events import common
    from operata_lambda.events.registry import EVENT_TYPES

    modules = [common, *(sys.modules[t.model.__module__] for t in EVENT_TYPES.values())]
    found = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value is not EventType
    }
    assert len(found) > len(EVENT_TYPES)
    return sorted(found, key=lambda model: (model.__module__, model.__name__))


def test_json_names_are_dataclasses_json_camel_case() -> None:
    import dataclasses

    from dataclasses_json import LetterCase

    from operata_lambda.events.builders import json_name

    for model in _all_models():
        for f in dataclasses.fields(model):
            if "dataclasses_json" in f.metadata:  # an explicit field_name override
                continue
            assert json_name(model, f) == LetterCase.CAMEL(f.name), (model, f.name)  # type: ignore[operator]


def test_field_config_is_what_dataclasses_json_config_writes() -> None:
    from dataclasses_json import config as library_config

    from operata_lambda.events.common import config

    ours = config(field_name="detail-type", decoder=int, encoder=str)["dataclasses_json"]
    theirs = library_config(field_name="detail-type", decoder=int, encoder=str)["dataclasses_json"]
    assert set(ours) == set(theirs)
    assert ours["letter_case"]("detail_type") == theirs["letter_case"]("detail_type")
    assert (ours["decoder"], ours["encoder"]) == (theirs["decoder"], theirs["encoder"])


def test_models_are_dataclasses_json_mixins() -> None:
    from dataclasses_json import DataClassJsonMixin

    call = CallSummary.from_dict(source_event("CallSummary")["detail"])
    assert isinstance(call, DataClassJsonMixin)
    assert CallSummary.from_json(call.to_json()) == call


def test_import_handler_leaves_dataclasses_json_unloaded() -> None:
    import subprocess
    import sys

    from tests.helpers import ROOT

    code = "import sys, handler; print('dataclasses_json' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
