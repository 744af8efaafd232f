"""The log: JSON lines for Logs Insights (and the README's queries against them), log levels,
and the settings read from the environment.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

import handler
from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.pipeline.kinesis import KinesisRecord
from tests.helpers import EVENTS, ROOT, encode, records_of, run_batch, source_event


@pytest.fixture(autouse=True)
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(app, "CONTAINER", app.Container())
    yield


def run_event_file(name: str, settings: Settings) -> str:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    records = [KinesisRecord.from_lambda(r) for r in event["Records"]]
    return run_batch(records, settings)[1]


def fixture_lines(**settings: Any) -> list[dict[str, Any]]:
    """Every JSON line written for the fixtures (events/*.json), one batch per file."""
    lines = []
    for path in sorted(EVENTS.glob("*.json")):
        text = run_event_file(path.stem, Settings(log_format="json", **settings))
        lines += [json.loads(line) for line in text.splitlines()]
    return lines


def record_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "outcome" in line]


# --- JSON lines ------------------------------------------------------------------------------

BASE_KEYS = {"level", "outcome", "detailType", "eventId", "sequenceNumber", "partitionKey"}
KEYS_BY_TYPE = {
    "CallSummary": {
        "queue",
        "agent",
        "direction",
        "durationSec",
        "mos",
        "mosRating",
        "packetLossInboundPct",
        "packetLossInboundRating",
        "packetLossOutboundPct",
        "packetLossOutboundRating",
        "overallQuality",
    },
    "InsightsSummary": {"insightCount", "insightTags"},
    "AgentReportedIssue": {"category", "severity", "agent"},
    "HeadsetSummary": {"headsetModel", "txSpeechPct", "rxSpeechPct", "silencePct", "crossTalkPct"},
}


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_every_line_is_json_and_every_record_line_has_the_keys(level: str) -> None:
    lines = fixture_lines(log_level=level)  # json.loads on every line, or this fails
    records = record_lines(lines)
    assert records
    seen_types = set()
    for line in records:
        assert line.keys() >= BASE_KEYS, line
        if line["outcome"] == "processed" and line["detailType"] in KEYS_BY_TYPE:
            seen_types.add(line["detailType"])
            assert KEYS_BY_TYPE[line["detailType"]] <= line.keys(), line
    assert seen_types == set(KEYS_BY_TYPE)


def test_one_line_per_record() -> None:
    for name in ["mixed-batch", "bad-records"]:
        event = json.loads((EVENTS / f"{name}.json").read_text())
        text = run_event_file(name, Settings(log_format="json"))
        records = record_lines([json.loads(line) for line in text.splitlines()])
        assert [r["sequenceNumber"] for r in records] == [
            r["kinesis"]["sequenceNumber"] for r in event["Records"]
        ]


def test_call_summary_line_values() -> None:
    line = next(r for r in record_lines(fixture_lines()) if r["eventId"].startswith("530848f3"))
    assert line["queue"] == "Operata Prod Default Queue"
    assert (line["agent"], line["direction"]) == ("andy", "Inbound")
    assert (line["mos"], line["mosRating"]) == (4.25, "Good")
    assert (line["packetLossInboundPct"], line["packetLossInboundRating"]) == (1.85, "Noticeable")
    assert line["overallQuality"] == "Issues detected"
    assert line["partitionKey"] == line["eventId"]


def test_rejected_line_carries_reason_and_rule() -> None:
    rejected = [r for r in record_lines(fixture_lines()) if r["outcome"] == "rejected"]
    assert {r["reason"] for r in rejected} >= {"not_base64", "schema_invalid", "not_json"}
    schema = next(r for r in rejected if r["reason"] == "schema_invalid")
    assert schema["error"]["path"] == "detail.webRTCSession.metrics.mos.avg"
    assert schema["level"] == "ERROR"


# --- the README's Logs Insights queries and log words --------------------------------------


def readme_section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_queries_are_the_saved_ones() -> None:
    """test_monitoring.py runs the saved queries' fields against the function's lines."""
    shown = re.findall(r"```\n(.*?)```", readme_section("Logs Insights queries"), re.DOTALL)
    saved = yaml.safe_load((ROOT / "serverless.yml").read_text())["custom"]["queries"]
    assert sorted(" ".join(q.split()) for q in shown) == sorted(saved.values())


def test_the_readme_blocks_are_as_the_code_prints_them() -> None:
    expected = [p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "expected").glob("*.txt")]
    blocks = re.findall(r"```\n(.*?)```", readme_section("The report"), re.DOTALL)
    titles = {block.splitlines()[0] for block in blocks}
    assert {
        "Insights Summary Details:",
        "Agent Reported Issue Details:",
        "Headset Summary Details:",
    } <= titles
    for block in blocks:
        assert any(block in text for text in expected), block.splitlines()[0]


def test_the_readme_log_words_are_in_the_lines() -> None:
    """The reference's words, in both modes: every record of bad-records.json has its line."""
    section = readme_section("The report")
    for words in ["Processing", "Skipping non-Operata event from source:", "Error parsing"]:
        assert words in section
    for log_format in ("text", "json"):
        text = run_event_file("bad-records", Settings(log_format=log_format))
        lines = text.splitlines()
        assert "Processing 10 Kinesis records" in lines[0]
        assert text.count("Skipping non-Operata event from source: aws.partner/operata.comx/") == 1
        assert text.count("Error parsing event: ") == 6  # the six rejected records
        assert "Error processing" not in text
    rejected = [x for x in map(json.loads, lines) if x.get("outcome") == "rejected"]
    assert len(rejected) == 6  # the README's metric filter { $.outcome = "rejected" }
    assert all(line["message"].startswith("Error parsing event: ") for line in rejected)


# --- log levels ------------------------------------------------------------------------------


def levels_of(text: str) -> list[str]:
    return [json.loads(line).get("level", "METRICS") for line in text.splitlines()]


def drifting_batch() -> list[KinesisRecord]:
    event = source_event("CallSummary")
    event["detail"]["contact"]["newThing"] = 1
    return records_of(encode(event), b"{", encode(source_event("HeadsetSummary")))


def test_debug_adds_the_decoded_envelope() -> None:
    _, text = run_batch(drifting_batch(), Settings(log_format="json", log_level="DEBUG"))
    envelopes = [json.loads(x) for x in text.splitlines() if '"message":"envelope"' in x]
    assert [e["envelope"]["detail-type"] for e in envelopes] == ["CallSummary", "HeadsetSummary"]
    assert envelopes[0]["level"] == "DEBUG"
    assert envelopes[0]["envelope"]["detail"]["contact"]["newThing"] == 1
    _, text = run_batch(drifting_batch(), Settings(log_format="text", log_level="DEBUG"))
    assert sum(line.startswith("DEBUG envelope {") for line in text.splitlines()) == 2


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # the batch line; the call's envelope, drift and line; the broken record; the headset's
        ("DEBUG", ["INFO", "DEBUG", "WARNING", "INFO", "ERROR", "DEBUG", "INFO"]),
        ("INFO", ["INFO", "WARNING", "INFO", "ERROR", "INFO"]),
        ("WARNING", ["WARNING", "ERROR"]),
        ("ERROR", ["ERROR"]),
    ],
)
def test_log_level_filters_lines_but_never_metrics(level: str, expected: list[str]) -> None:
    _, text = run_batch(drifting_batch(), Settings(log_format="json", log_level=level))
    got = levels_of(text)
    assert [x for x in got if x != "METRICS"] == expected
    assert got[-1] == "METRICS"


def test_library_loggers_stay_at_warning() -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        for name in ["botocore", "boto3", "urllib3", "s3transfer"]:
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    assert handler  # imported for its logger settings


# --- settings from the environment -----------------------------------------------------------


def test_settings_defaults_are_a_local_run() -> None:
    s = Settings.from_env({})
    assert (s.stage, s.log_format, s.log_level, s.redact_pii) == ("local", "text", "INFO", False)
    assert s.metrics_namespace == "Operata/EventProcessor"


def test_redaction_is_on_unless_the_stage_is_local() -> None:
    assert Settings.from_env({"STAGE": "dev"}).redact_pii is True
    assert Settings.from_env({"STAGE": "prod", "REDACT_PII": ""}).redact_pii is True
    assert Settings.from_env({"STAGE": "prod", "REDACT_PII": "false"}).redact_pii is False
    assert Settings.from_env({"STAGE": "local", "REDACT_PII": "true"}).redact_pii is True


def test_settings_as_serverless_yml_sets_them_per_stage() -> None:
    prod = {"STAGE": "prod", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "REDACT_PII": "true"}
    s = Settings.from_env({**prod, "METRICS_NAMESPACE": "Acme/Operata"})
    assert (s.log_format, s.log_level, s.redact_pii) == ("json", "INFO", True)
    assert s.metrics_namespace == "Acme/Operata"
    assert Settings.from_env({"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    assert Settings.from_env({"LOG_LEVEL": "warn"}).log_level == "WARNING"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"REDACT_PII": "maybe"}, "REDACT_PII"),
        ({"DEADLINE_MARGIN_MS": "3s"}, "DEADLINE_MARGIN_MS"),
        ({"DEADLINE_MARGIN_MS": "-1"}, "DEADLINE_MARGIN_MS"),
    ],
)
def test_invalid_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Settings.from_env(env)


def test_debug_envelope_line_does_not_need_dataclasses_json() -> None:
    import subprocess
    import sys

    from tests.helpers import ROOT

    code = (
        "import io, json, sys\n"
        "from operata_lambda.config import Settings\n"
        "from operata_lambda.sinks.report import Report\n"
        "from operata_lambda.pipeline.batch import examine\n"
        "from operata_lambda.validation.schemas import schema_set\n"
        "from operata.fixtures import kinesis_event\n"
        "from operata_lambda.pipeline.kinesis import KinesisRecord\n"
        "raw = open('events/source/CallSummary.json', 'rb').read()\n"
        "record = KinesisRecord.from_lambda(kinesis_event([raw])['Records'][0])\n"
        "out = io.StringIO()\n"
        "Report(Settings(log_format='json', log_level='DEBUG'), out)"
        ".take(examine(record, schema_set()))()\n"
        "envelope = json.loads(out.getvalue().splitlines()[0])['envelope']\n"
        "assert envelope['time'] == '2023-06-01T05:00:13+00:00', envelope['time']\n"
        "assert envelope['detail'] == json.loads(raw)['detail']\n"
        "print('dataclasses_json' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
