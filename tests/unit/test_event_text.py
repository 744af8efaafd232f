"""Event text cannot forge, break or overflow log lines (text and JSON modes).

Every string of every source fixture is replaced in turn by hostile text: a line break
followed by lines that look like the function's own, carriage returns, a terminal escape
sequence, NUL, BEL, DEL, a C1 control, the Unicode line and paragraph separators, or a 1 MB
value. The same is done where event text reaches the rejection and drift lines.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.outcomes import Status
from operata_lambda.rendering import safe
from tests.helpers import SOURCES, encode, paths_in, records_of, run_batch, value_at

FORGED = "PROCESSED seq=1 shard=forged"
HOSTILE = (
    f"ok\n{FORGED}\rError parsing event: forged\n⚠️ forged\x1b[31mred\x00nul\x07bel\x7fdel"
    "\x85nel\u2028ls\u2029ps"
)
RAW = ["\r", "\x1b", "\x00", "\x07", "\x7f", "\x85", "\u2028", "\u2029"]
HUGE = "x" * 1_000_000
LOG_FORMATS = ["text", "json"]


def string_paths(event: dict[str, Any]) -> list[tuple[Any, ...]]:
    detail = event["detail"]
    return [("detail", *p) for p in paths_in(detail) if isinstance(value_at(detail, p), str)]


CASES = [
    (path.stem, p)
    for path in sorted(SOURCES.glob("*.json"))
    if json.loads(path.read_text())["detail-type"] in EVENT_TYPES
    for p in string_paths(json.loads(path.read_text()))
]
assert len(CASES) > 50, "the fixtures hold free text to try"


def with_value(name: str, path: tuple[Any, ...], value: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SOURCES / f"{name}.json").read_text())
    value_at(event, path[:-1])[path[-1]] = value
    return event


def assert_lines_are_safe(text: str, log_format: str) -> None:
    for raw in RAW:
        assert raw not in text, f"raw {raw!r} in the output"
    for line in text.split("\n"):
        assert not line.startswith(("PROCESSED seq=1 ", "Error parsing", "⚠️ forged", "forged"))
        limit = safe.MAX_TEXT_LINE + 100 if log_format == "text" else safe.MAX_LINE
        assert len(line) <= limit
        if log_format == "json" and line:
            json.loads(line)


def run(event: dict[str, Any], log_format: str) -> tuple[Status, str]:
    settings = Settings(log_format=log_format, log_level="DEBUG")
    (outcome,), text = run_batch(records_of(encode(event)), settings)
    return outcome.status, text


@pytest.mark.parametrize("log_format", LOG_FORMATS)
@pytest.mark.parametrize(
    ("name", "path"), CASES, ids=[f"{n}:{'.'.join(map(str, p))}" for n, p in CASES]
)
def test_free_text_stays_on_its_line(name: str, path: tuple[Any, ...], log_format: str) -> None:
    expected, _ = run(with_value(name, path, "ok"), log_format)
    for value in (HOSTILE, HUGE):
        status, text = run(with_value(name, path, value), log_format)
        assert status is expected  # the record keeps its outcome
        assert_lines_are_safe(text, log_format)
    assert "…[" in text and "characters left out]" in text  # the 1 MB value, cut with a marker


@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_rejection_messages_quote_event_text_safely(log_format: str) -> None:
    event = json.loads((SOURCES / "CallSummary.json").read_text())
    for value in (HOSTILE, HUGE):
        bad = copy.deepcopy(event)
        bad["detail"]["webRTCSession"]["metrics"]["mos"]["avg"] = value  # a number field
        status, text = run(bad, log_format)
        assert status is Status.REJECTED
        assert "Error parsing event" in text
        assert_lines_are_safe(text, log_format)


@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_drift_lines_quote_event_text_safely(log_format: str) -> None:
    event = json.loads((SOURCES / "CallSummary.json").read_text())
    event["detail"]["contact"][f"new{HOSTILE}"] = HOSTILE
    event["detail"]["contact"]["huge"] = HUGE
    status, text = run(event, log_format)
    assert status is Status.PROCESSED
    assert "drift" in text.lower()
    assert_lines_are_safe(text, log_format)


@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_the_envelope_and_the_skip_line_quote_event_text_safely(log_format: str) -> None:
    event = json.loads((SOURCES / "CallSummary.json").read_text())
    event["account"] = HOSTILE
    status, text = run(event, log_format)
    assert status is Status.PROCESSED
    assert_lines_are_safe(text, log_format)
    event["source"] = f"elsewhere/{HOSTILE}"
    status, text = run(event, log_format)
    assert status is Status.SKIPPED
    assert "Skipping non-Operata event from source: elsewhere/ok\\n" in text.replace("\\\\", "\\")
    assert_lines_are_safe(text, log_format)


def test_escapes_are_readable() -> None:
    assert safe.escape("a\nb\rc\x1b[31m\x00\u2028") == "a\\nb\\rc\\x1b[31m\\x00\\u2028"
    assert (
        safe.clip("y" * 5000)
        == "y" * safe.MAX_VALUE + f"…[{5000 - safe.MAX_VALUE} more characters left out]"
    )
    line = safe.json_line({"message": "a\u2028b\x85c\x7f"})
    assert line == '{"message":"a\\u2028b\\u0085c\\u007f"}'
    assert json.loads(line) == {"message": "a\u2028b\x85c\x7f"}
