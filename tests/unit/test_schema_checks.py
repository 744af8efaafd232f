"""No invalid schema meets a record. A schema file that is JSON but not a valid schema is named,
file and keyword, in one line: by the function's cold-start check (a `setup error:`, without
jsonschema), by the full check (meta-schema, every $ref, every pattern compiled by Python's
re), and by `python -m operata schemas check | update` (never a traceback)."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import handler
from operata import cli
from operata.fixtures import kinesis_event
from operata_lambda import setup_check
from operata_lambda.config import SCHEMA_DIR_ENV
from operata_lambda.validation.schema_check import directory_problems, document_problem
from operata_lambda.validation.schemas import clear_cache
from operata_lambda.validation.shapes import ShapeProblem, check_shape
from tests.helpers import ROOT, encode, source_event


def _queue_name(document: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = document["properties"]["contact"]["properties"]["queueName"]
    return node


# The four ways a hand edit breaks a schema while keeping it JSON: (keyword, the edit)
BROKEN: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "pattern Python cannot compile": (
        "pattern",
        lambda d: _queue_name(d).update(pattern=r"^\p{L}+$"),
    ),
    "minLength as text": ("minLength", lambda d: _queue_name(d).update(minLength="3")),
    "$ref to nothing": ("$ref", lambda d: _queue_name(d).update({"$ref": "#/$defs/nothing"})),
    "enum not a list": ("enum", lambda d: _queue_name(d).update(enum=5)),
}


def broken_document(case: str) -> dict[str, Any]:
    document = json.loads((ROOT / "schemas" / "CallSummary.json").read_text())
    BROKEN[case][1](document)
    return document  # type: ignore[no-any-return]


def broken_directory(tmp_path: Path, case: str) -> Path:
    directory = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", directory)
    (directory / "CallSummary.json").write_text(json.dumps(broken_document(case), indent=2))
    return directory


@pytest.mark.parametrize("case", BROKEN)
def test_the_cold_start_check_names_the_keyword(case: str) -> None:
    with pytest.raises(ShapeProblem) as raised:
        check_shape(broken_document(case))
    assert raised.value.keyword == BROKEN[case][0]
    assert raised.value.at.startswith("/properties/contact/properties/queueName/")


@pytest.mark.parametrize("case", BROKEN)
def test_the_full_check_names_the_keyword(case: str) -> None:
    problem = document_problem(broken_document(case))
    assert problem is not None
    assert f"/queueName/{BROKEN[case][0]}: " in problem


@pytest.mark.parametrize("case", BROKEN)
def test_the_function_fails_the_invocation_in_one_line(
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fresh_container: None,
) -> None:
    directory = broken_directory(tmp_path, case)
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(directory))
    event = kinesis_event([encode(source_event("CallSummary"))])
    with pytest.raises(setup_check.SetupError) as raised:
        handler.handler(event, None)
    line = str(raised.value)
    assert "\n" not in line
    assert str(directory / "CallSummary.json") in line
    assert f"/{BROKEN[case][0]}: " in line
    assert capsys.readouterr().out == ""  # no record was looked at


@pytest.mark.parametrize("case", BROKEN)
def test_schemas_check_says_it_in_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = broken_directory(tmp_path, case)
    status = cli.main(["schemas", "check", "--schemas-dir", str(directory)])
    output = capsys.readouterr()
    assert status == 1
    (line,) = [line for line in output.out.splitlines() if line.startswith("FAIL ")]
    assert "CallSummary.json" in line and f"/{BROKEN[case][0]}: " in line
    assert "Traceback" not in output.out + output.err


@pytest.mark.parametrize("case", BROKEN)
def test_schemas_update_refuses_in_one_line_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = broken_directory(tmp_path, case)
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    sample = ROOT / "events" / "source" / "CallSummary.json"
    status = cli.main(["schemas", "update", "--schemas-dir", str(directory), str(sample)])
    output = capsys.readouterr()
    assert status == 2
    (line,) = output.err.splitlines()
    assert line.startswith("error: ") and f"/{BROKEN[case][0]}: " in line
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before


def test_the_project_schemas_pass_both_checks() -> None:
    for path in sorted((ROOT / "schemas").glob("*.json")):
        document = json.loads(path.read_text())
        check_shape(document)
        assert document_problem(document) is None, path
    assert list(directory_problems(ROOT / "schemas")) == []


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "objekt"}, "/type"),
        ({"properties": {"a": {"type": ["string", "text"]}}}, "/properties/a/type"),
        ({"properties": {"a/b": {"items": {"type": 3}}}}, "/properties/a~1b/items/type"),
        ({"required": "id"}, "/required"),
        ({"required": ["id", "id"]}, "/required"),
        ({"properties": []}, "/properties"),
        ({"anyOf": [{"type": "string"}, "number"]}, "/anyOf/1"),
        ({"anyOf": []}, "/anyOf"),
        ({"multipleOf": 0}, "/multipleOf"),
        ({"maximum": "9"}, "/maximum"),
        ({"maxItems": -1}, "/maxItems"),
        ({"uniqueItems": "yes"}, "/uniqueItems"),
        ({"patternProperties": {"(": {}}}, "/patternProperties/("),
        ({"dependentRequired": {"a": "b"}}, "/dependentRequired"),
        ({"$ref": "https://example.com/other.json"}, "/$ref"),
        ({"$ref": "#anchor"}, "/$ref"),
        ({"$defs": {"a": {"$ref": "#/$defs/b"}}}, "/$defs/a/$ref"),
    ],
)
def test_a_schema_of_the_wrong_shape_is_named_by_its_position(schema: Any, where: str) -> None:
    with pytest.raises(ShapeProblem) as raised:
        check_shape(schema)
    assert raised.value.at == where
    assert document_problem(schema) is not None  # the full check agrees


@pytest.mark.parametrize(
    "schema",
    [
        {"$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a"}}},
        {"$id": "https://x.example/s.json", "items": {"$ref": "https://x.example/s.json#"}},
        {"$defs": {"a": {"$anchor": "name"}}, "items": {"$ref": "#name"}},
        {"minLength": 3.0, "enum": [], "pattern": "^[a-z]+$", "type": ["string", "null"]},
    ],
)
def test_a_well_formed_schema_passes_both_checks(schema: Any) -> None:
    check_shape(schema)
    assert document_problem(copy.deepcopy(schema)) is None


def test_a_schema_deeper_than_the_interpreter_recurses_is_checked() -> None:
    deep: dict[str, Any] = {"type": "string", "pattern": "("}
    for _ in range(5000):
        deep = {"items": deep}
    with pytest.raises(ShapeProblem) as raised:
        check_shape(deep)
    assert raised.value.keyword == "pattern"


@pytest.fixture(autouse=True)
def _forget_schemas() -> Any:
    clear_cache()
    yield
    clear_cache()


def test_redrive_refuses_broken_schemas_before_reading_the_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = broken_directory(tmp_path, "$ref to nothing")
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(directory))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached
    status = cli.main(["redrive", "--bucket", "any", "--dry-run"])
    output = capsys.readouterr()
    assert status == 2
    (line,) = output.err.splitlines()
    assert line.startswith("error: ") and "CallSummary.json" in line and "/$ref: " in line
