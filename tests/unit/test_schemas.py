"""The schema files are valid JSON Schemas, and every fixture validates against its schema.

This uses jsonschema directly (the reference), independently of `python -m operata schemas check`,
which tests/test_schema_tools.py covers.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.kinesis import is_operata_source
from tests.helpers import EVENTS, ROOT, SOURCES

SCHEMAS = ROOT / "schemas"
SCHEMA_FILES = sorted(SCHEMAS.glob("*.json"))
DETAIL_TYPES = {p.stem for p in SCHEMA_FILES} - {"envelope"}


def schema(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text())
    return document


def fixture_events() -> list[tuple[str, dict[str, Any]]]:
    """(where, event) for every EventBridge event in events/source/ and in events/*.json."""
    found = [(p.name, json.loads(p.read_text())) for p in sorted(SOURCES.glob("*.json"))]
    for path in sorted(EVENTS.glob("*.json")):
        if path.name.startswith("bad-"):  # intentionally bad records (tests/test_handler.py)
            continue
        for index, record in enumerate(json.loads(path.read_text())["Records"]):
            event = json.loads(base64.b64decode(record["kinesis"]["data"], validate=True))
            found.append((f"{path.name} record {index}", event))
    return found


def test_there_is_a_schema_for_every_registered_type() -> None:
    assert set(EVENT_TYPES) <= DETAIL_TYPES


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_valid_against_its_meta_schema(path: Path) -> None:
    document = json.loads(path.read_text())
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert isinstance(document.get("version"), str)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_file_is_written_in_the_stable_form(path: Path) -> None:
    """The form `schemas update` writes, so that its diffs show only what changed."""
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(("where", "event"), fixture_events(), ids=[w for w, _ in fixture_events()])
def test_fixture_validates_against_its_schema(where: str, event: dict[str, Any]) -> None:
    envelope = Draft202012Validator(schema("envelope"))
    assert list(envelope.iter_errors(event)) == [], where
    if not is_operata_source(event["source"]) or event["detail-type"] not in DETAIL_TYPES:
        pytest.skip(f"{event['detail-type']} from {event['source']}: no schema")
    errors = [
        e.message
        for e in Draft202012Validator(schema(event["detail-type"])).iter_errors(event["detail"])
    ]
    assert errors == [], where


def test_fixtures_cover_every_schema() -> None:
    covered = {event["detail-type"] for _, event in fixture_events()}
    assert covered >= DETAIL_TYPES
