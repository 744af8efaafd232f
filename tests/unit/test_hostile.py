"""Hostile records between good ones, through the handler, in all eight configurations (text and
JSON lines x INFO and DEBUG x redaction on and off).

Generated records: nesting thousands of levels deep, large arrays and objects, control and
format characters (and words that begin the function's own lines) in values, keys, detail-types,
sources and record metadata (sequence numbers, event ids and partition keys that hold paths and
odd characters; arrival times out of range, NaN, infinite, 10**400 or text), personal values of
every shape at every personal path the event types declare, and wrong types that reject a record
with hostile text in its message. The archive is on (local files), the quarantine too.

Properties: one outcome per record, in order; every good record processed; nothing failed (no
sink fails here); no raw control, separator or format character written; no line begins with
event text; no line over 256 KB; every JSON line parses; with redaction on, no value of a field
whose treatment masks it appears, in the log or in the archive; no file outside its folder.

`make fuzz` runs the same properties longer (HOSTILE_EXAMPLES sets the examples per
configuration).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handler
from operata.fixtures import kinesis_event
from operata_lambda import app, setup_check
from operata_lambda.config import Settings
from operata_lambda.events.common import Treatment
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.kinesis import KinesisRecord
from operata_lambda.rendering.redact import path_parts
from tests.helpers import SOURCES

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "10"))
HOSTILE_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CONFIGURATIONS = [
    (fmt, level, redact)
    for fmt in ("text", "json")
    for level in ("INFO", "DEBUG")
    for redact in ("true", "false")
]
LINE_LIMIT = 256 * 1024  # bytes CloudWatch Logs keeps of one event
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}

SAMPLES = {p.stem: json.loads(p.read_text()) for p in sorted(SOURCES.glob("*.json"))}
KNOWN = sorted(n for n, e in SAMPLES.items() if e["detail-type"] in EVENT_TYPES)
UNKNOWN = sorted(n for n, e in SAMPLES.items() if e["detail-type"] not in EVENT_TYPES)
# What event text tries to begin a line with: the words the function begins its lines with.
FORGERIES = [
    "PROCESSED seq=FORGED",
    "REJECTED seq=FORGED",
    "FAILED seq=FORGED",
    "SKIPPED seq=FORGED",
    "Processing 1 Kinesis records FORGED",
    "Error parsing event: FORGED",
    "==========================================FORGED",
    '{"level":"ERROR","outcome":"rejected","FORGED":1}',
]
BREAKS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]

hostile_text = st.lists(
    st.one_of(
        st.sampled_from(BREAKS),
        st.sampled_from(FORGERIES),
        st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Cs")),
        st.text(max_size=5),
    ),
    max_size=6,
).map(lambda parts: "".join(parts))


def sample(name: str) -> dict[str, Any]:
    return json.loads(json.dumps(SAMPLES[name]))


# --- personal values ---------------------------------------------------------------------

MASKED = [
    (name, path, treatment)
    for name in KNOWN
    for path, treatment in EVENT_TYPES[SAMPLES[name]["detail-type"]].personal.items()
    if treatment not in (Treatment.SHOWN, Treatment.FREE_TEXT)
]


@st.composite
def personal_value(draw: st.DrawFn, treatment: Treatment) -> tuple[Any, list[str]]:
    """A value for a personal field, in some shape, and the texts that must not be shown."""
    token = draw(st.text("bcdfghjkmnpqrstvwxz", min_size=8, max_size=12))
    if treatment is Treatment.PHONE:
        digits = "61" + draw(st.text("23456789", min_size=9, max_size=9))
        secret, core = [digits[:-3], digits[2:]], f"+{digits}"
        text = draw(st.sampled_from([core, f"{core}*", f"Mob{core}", f" {core} ", digits[2:]]))
    elif treatment is Treatment.ADDRESS:
        octets = draw(st.lists(st.integers(11, 254), min_size=4, max_size=4))
        text = ".".join(map(str, octets))
        secret = [text]
    elif treatment is Treatment.URL:
        text, secret = f"https://ccp.example.com/connect/{token}", [token]
    else:
        text, secret = f"{token}XYZ", [token]
    shape = draw(st.sampled_from(["string", "list", "object", "nested"]))
    value: Any = {
        "string": text,
        "list": [text],
        "object": {"value": text},
        "nested": [{"a": [text]}],
    }[shape]
    return value, secret


def put(detail: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a declared path, making the objects and the array item on the way."""
    parts = path_parts(path)
    target: Any = detail
    for part, following in itertools.pairwise(parts):
        if part == "[]":
            if not target or not isinstance(target[0], dict):
                target[:] = [{}]
            target = target[0]
            continue
        empty: Any = [] if following == "[]" else {}
        if not isinstance(target.get(part), type(empty)):
            target[part] = empty
        target = target[part]
    target[parts[-1]] = value


# --- hostile records ---------------------------------------------------------------------


def nested(depth: int, leaf: str) -> str:
    return '{"n":' * depth + json.dumps(leaf) + "}" * depth


@st.composite
def hostile_payload(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """One hostile record's payload, and the personal texts it holds (empty if none)."""
    kind = draw(
        st.sampled_from(["deep", "wide", "long", "text", "keys", "source", "type", "wrong", "pii"])
    )
    name = draw(st.sampled_from(KNOWN + UNKNOWN))
    event = sample(name)
    detail = event["detail"]
    words = draw(hostile_text)
    secrets: list[str] = []
    if kind == "deep":
        depth = draw(st.sampled_from([40, 300, 990, 1100, 2500]))
        event["detail"]["deep"] = "__DEEP__"
        text = json.dumps(event).replace('"__DEEP__"', nested(depth, words))
        return text.encode(), secrets
    if kind == "wide":
        size = draw(st.sampled_from([300, 5000, 40000]))
        detail["wide"] = (
            [words] * size if draw(st.booleans()) else {f"k{i}": i for i in range(size)}
        )
    elif kind == "long":
        detail["long"] = words + "x" * draw(st.sampled_from([5000, 300_000]))
    elif kind == "text":
        path = draw(st.sampled_from(sorted(string_paths(detail)) or [("x",)]))
        target = detail
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = words
    elif kind == "keys":
        detail.setdefault("contact", {})[words or "k"] = {words: words}
    elif kind == "source":
        event["source"] = f"aws.other/{words}"
    elif kind == "type":
        event["detail-type"] = words or "x"
    elif kind == "wrong":  # a known field of the wrong type: its rejection quotes the value
        first = sorted(detail)[0]
        detail[first] = {words: [words]}
    else:
        name, path, treatment = draw(st.sampled_from(MASKED))
        event = sample(name)
        value, secrets = draw(personal_value(treatment))
        put(event["detail"], path, value)
    return json.dumps(event).encode(), secrets


def string_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from string_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_paths(item, (*prefix, index))
    elif isinstance(value, str):
        yield prefix


# Record metadata of any shape: identifiers that are paths, text where a time was, times that no
# date can be made of.
odd_identifier = st.one_of(
    st.sampled_from(["", "\u202e", " x", "\u2028", "/", "/..", "/../..", "../x", "a/b", "\\..\\"]),
    hostile_text,
)
odd_arrival_time = st.sampled_from(
    [
        *(-1.0, 0, "not a time", "1685595613", None, 1685595613.0, 1e20, -1e20),
        *(float("nan"), float("inf"), float("-inf"), 10**400, True, [1], {"t": 1}),
    ]
)


@st.composite
def batch(draw: st.DrawFn) -> tuple[dict[str, Any], list[bool], list[str]]:
    """A Lambda Kinesis event: good and hostile records in turn, with odd metadata."""
    hostile = draw(st.lists(hostile_payload(), min_size=1, max_size=3))
    payloads: list[bytes] = []
    good: list[bool] = []
    secrets: list[str] = []
    for payload, hidden in hostile:
        payloads += [json.dumps(sample(draw(st.sampled_from(KNOWN)))).encode(), payload]
        good += [True, False]
        secrets += hidden
    event = kinesis_event(payloads)
    for record, is_good in zip(event["Records"], good, strict=True):
        if not is_good:
            kinesis = record["kinesis"]
            words = draw(hostile_text)
            kinesis["partitionKey"] = words
            kinesis["sequenceNumber"] += draw(odd_identifier)
            shard = draw(st.sampled_from(["shardId-000000000000", "../..", "a/b", "..", ""]))
            record["eventID"] = f"{shard}:{kinesis['sequenceNumber']}"
            kinesis["approximateArrivalTimestamp"] = draw(odd_arrival_time)
    # As the Lambda runtime hands it over: decoded from JSON (NaN, Infinity and 10**400 kept;
    # a pair of surrogate escapes read as the one character they encode).
    return json.loads(json.dumps(event)), good, secrets


# --- the properties ----------------------------------------------------------------------


class Context:
    aws_request_id = "req-hostile-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


@contextlib.contextmanager
def configured(fmt: str, level: str, redact: str, quarantine: Path) -> Iterator[io.StringIO]:
    env = {
        "LOG_FORMAT": fmt,
        "LOG_LEVEL": level,
        "REDACT_PII": redact,
        "STAGE": "local",
        "QUARANTINE_DIR": str(quarantine / "quarantine" / "kept"),
        "ARCHIVE": "true",
        "ARCHIVE_DIR": str(quarantine / "archive" / "kept"),
    }
    out = io.StringIO()
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(app, "CONTAINER", app.Container()),
        contextlib.redirect_stdout(out),
    ):
        setup_check.forget()
        yield out
    setup_check.forget()


def unsafe_characters(text: str) -> set[str]:
    return {c for c in text if c != "\n" and unicodedata.category(c) in UNSAFE_CATEGORIES}


def check_output(text: str, fmt: str, redact: str, secrets: list[str]) -> None:
    assert not unsafe_characters(text), "a raw control, separator or format character"
    for line in text.split("\n")[:-1]:
        assert len(line.encode("utf-8", "surrogatepass")) <= LINE_LIMIT
        assert not line.startswith(tuple(f for f in FORGERIES if not f.startswith("{"))), line
        if fmt == "text" and line.startswith("{"):  # the raw block's brace, or a metrics line
            assert line == "{" or line.startswith('{"_aws"'), line
        if fmt == "json" or line.startswith('{"_aws"'):
            entry = json.loads(line)
            assert isinstance(entry, dict) and "FORGED" not in entry
    if redact == "true":
        for secret in secrets:
            assert secret not in text, f"{secret} shown with redaction on"


@pytest.mark.parametrize(("fmt", "level", "redact"), CONFIGURATIONS)
@HOSTILE_SETTINGS
@given(batch())
def test_hostile_records_between_good_ones(
    fmt: str,
    level: str,
    redact: str,
    tmp_path_factory: pytest.TempPathFactory,
    drawn: tuple[dict[str, Any], list[bool], list[str]],
) -> None:
    event, _, secrets = drawn
    root = tmp_path_factory.mktemp("q")
    with configured(fmt, level, redact, root) as out:
        response = handler.handler(event, Context())
    assert response == {"batchItemFailures": []}, "no record failed: no sink failed"
    check_output(out.getvalue(), fmt, redact, secrets)
    kept = [path.relative_to(root) for path in root.rglob("*") if path.is_file()]
    assert all(path.parts[1] == "kept" for path in kept), "a file outside its folder"
    if redact == "true":
        files = "".join(
            path.read_text("utf-8", "replace") for path in root.glob("archive/**/*.json")
        )
        assert not [secret for secret in secrets if secret in files], "shown in the archive"
    sequence = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    written = out.getvalue().split("\n")[:-1]
    if fmt == "text":  # one line of the function's own per record
        record_words = ("PROCESSED seq=", "REJECTED seq=", "SKIPPED seq=", "FAILED seq=")
        assert sum(line.startswith(record_words) for line in written) == len(sequence)
    else:  # one entry per record, in order
        entries = [json.loads(line) for line in written]
        assert [e["sequenceNumber"] for e in entries if "outcome" in e] == sequence


def run_outcomes(event: dict[str, Any], fmt: str, level: str, redact: str, tmp: Path) -> list[Any]:
    settings = Settings(
        log_format=fmt, log_level=level, redact_pii=redact == "true", quarantine_dir=str(tmp)
    )
    records = [KinesisRecord.from_lambda(r) for r in event["Records"]]
    with mock.patch.object(app, "CONTAINER", app.Container()):
        sinks = app.build_sinks(settings, stream=io.StringIO())
        return app.run(records, settings, sinks)


@HOSTILE_SETTINGS
@given(batch())
def test_the_outcome_never_depends_on_the_log_format_or_level(
    tmp_path_factory: pytest.TempPathFactory, drawn: tuple[dict[str, Any], list[bool], list[str]]
) -> None:
    event, good, _ = drawn
    seen = set()
    for fmt, level, redact in CONFIGURATIONS:
        outcomes = run_outcomes(event, fmt, level, redact, tmp_path_factory.mktemp("q"))
        assert len(outcomes) == len(event["Records"]), "one outcome per record"
        assert all(o.status.value == "processed" for o, g in zip(outcomes, good, strict=True) if g)
        seen.add(tuple((o.status.value, o.reason) for o in outcomes))
    assert len(seen) == 1, seen
