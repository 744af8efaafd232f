"""The new-type scaffold (operata/scaffold.py): the module it writes, read back as Python.

The whole command on a copy of the project, followed by the checks a user runs, is in
tests/integration/test_new_type.py.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from operata import scaffold
from operata.model_check import compare_model
from operata.schema_tools import starting_schema
from operata_lambda.events import builders
from operata_lambda.events.common import Treatment
from operata_lambda.events.text import num
from tests.helpers import ROOT
from tests.new_type_sample import MODULE, NEW_TYPE, leaves, new_type_event


def load(path: Path, text: str) -> ModuleType:
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"scaffolded_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def schema() -> dict[str, Any]:
    return starting_schema(NEW_TYPE, [new_type_event()["detail"]])


@pytest.fixture
def module(tmp_path: Path, schema: dict[str, Any]) -> ModuleType:
    return load(tmp_path / f"{MODULE}.py", scaffold.module_text(NEW_TYPE, schema))


def rendered(module: ModuleType, detail: dict[str, Any]) -> list[str]:
    event_type = module.EVENT_TYPE
    return event_type.render(builders.build(event_type.model, detail))  # type: ignore[no-any-return]


def test_the_schema_has_no_markers_and_types_every_number_number(schema: dict[str, Any]) -> None:
    text = json.dumps(schema)
    assert "x-model" not in text
    assert '"integer"' not in text
    assert schema["required"] == []
    Draft202012Validator.check_schema(schema)


def test_models_and_schema_agree(module: ModuleType, schema: dict[str, Any]) -> None:
    assert module.EVENT_TYPE.detail_type == NEW_TYPE
    assert compare_model(module.EVENT_TYPE.model, schema, "detail") == ([], [])


def test_the_rendering_lists_every_value_under_the_type_title(module: ModuleType) -> None:
    detail = new_type_event()["detail"]
    lines = rendered(module, detail)
    assert lines[0] == f"{module.EVENT_TYPE.title} Details:"
    body = "\n".join(lines)
    for path, value in leaves(detail):
        shown = value if isinstance(value, str) else json.dumps(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown = num(value)
        assert f": {shown}" in body or shown in body, (path, value)


def test_an_empty_detail_renders_n_a_and_summarises(module: ModuleType) -> None:
    lines = rendered(module, {})
    assert any(line.endswith(": n/a") for line in lines)
    summary = module.EVENT_TYPE.summarise(builders.build(module.EVENT_TYPE.model, {}))
    assert set(summary.values()) == {None}


def test_a_fraction_where_the_sample_had_a_whole_number_is_valid_and_shown(
    module: ModuleType, schema: dict[str, Any]
) -> None:
    detail = new_type_event()["detail"]
    whole = [key for key, value in detail.items() if type(value) is int]
    assert whole
    for key in whole:
        detail[key] = detail[key] + 0.5
    assert list(Draft202012Validator(schema).iter_errors(detail)) == []
    body = "\n".join(rendered(module, detail))
    assert all(num(detail[key]) in body for key in whole)


def test_the_summary_has_the_top_level_values_and_the_contact_id(module: ModuleType) -> None:
    detail = new_type_event()["detail"]
    summary = module.EVENT_TYPE.summarise(builders.build(module.EVENT_TYPE.model, detail))
    assert summary["contactId"] == detail["contact"]["contactId"]
    assert summary["queueName"] == detail["queueName"]
    assert summary["agentsAvailable"] == detail["agentsAvailable"]
    assert "message" not in summary  # the JSON line's own key


def test_the_module_is_as_ruff_formats_and_checks_it(
    tmp_path: Path, schema: dict[str, Any]
) -> None:
    path = tmp_path / f"{MODULE}.py"
    path.write_text(scaffold.module_text(NEW_TYPE, schema), encoding="utf-8")
    for command in (["format", "--check", "--diff"], ["check"]):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                *command,
                "--config",
                str(ROOT / "pyproject.toml"),
                path,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def registry_names(source: str) -> tuple[list[str], list[str]]:
    """(the modules registry.py imports, the names in TYPE_MODULES), read from its syntax."""
    tree = ast.parse(source)
    imported = [
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "operata_lambda.events"
        for alias in node.names
    ]
    (listed,) = [
        [element.id for element in node.value.elts if isinstance(element, ast.Name)]
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Tuple)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["TYPE_MODULES"]
    ]
    return imported, listed


def test_the_registry_gets_the_import_and_the_last_place(tmp_path: Path) -> None:
    registry = tmp_path / "registry.py"
    original = (ROOT / "operata_lambda" / "events" / "registry.py").read_text(encoding="utf-8")
    registry.write_text(original, encoding="utf-8")
    before_imported, before_listed = registry_names(original)
    module = MODULE
    while module in before_imported:  # a project where the type was added already
        module += "_2"
    scaffold.add_to_registry(registry, module)
    imported, listed = registry_names(registry.read_text(encoding="utf-8"))
    assert imported == sorted([*before_imported, module])
    assert listed == [*before_listed, module]
    added = set(registry.read_text().splitlines()) - set(original.splitlines())
    assert added == {f"    {module},"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--check",
            "--config",
            str(ROOT / "pyproject.toml"),
            registry,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout


def test_a_registry_in_another_shape_is_named_not_guessed(tmp_path: Path) -> None:
    registry = tmp_path / "registry.py"
    registry.write_text("TYPE_MODULES = (call_summary,)\n")
    with pytest.raises(scaffold.ScaffoldError, match=f"add {MODULE} to both by hand"):
        scaffold.add_to_registry(registry, MODULE)


def test_an_existing_module_is_not_overwritten(tmp_path: Path, schema: dict[str, Any]) -> None:
    events = tmp_path / "operata_lambda" / "events"
    events.mkdir(parents=True)
    (events / f"{MODULE}.py").write_text("# someone's work\n")
    with pytest.raises(scaffold.ScaffoldError, match="already exists"):
        scaffold.write_type(tmp_path, NEW_TYPE, schema, [new_type_event()])
    assert (events / f"{MODULE}.py").read_text() == "# someone's work\n"


def test_keys_that_make_awkward_python_still_give_a_working_module(tmp_path: Path) -> None:
    detail = {
        "class": {"if": 1, "for": {"x": "y"}},
        "ifs": [{"as": "z"}],
        "withNulls": [{"a": 1}, None],
        "3d": True,
        "to_dict": "shadows a Model method",
        "a_b": 1,
        "aB": 2,
    }
    schema = starting_schema("Awkward", [detail])
    module = load(tmp_path / "awkward.py", scaffold.module_text("Awkward", schema))
    assert compare_model(module.EVENT_TYPE.model, schema, "detail") == ([], [])
    body = "\n".join(rendered(module, detail))
    for path, value in leaves(detail):
        assert (num(value) if type(value) is int else json.dumps(value).strip('"')) in body, path
    assert rendered(module, {})


@pytest.mark.parametrize(
    ("detail_type", "module_name", "title"),
    [
        ("QueueHealthSummary", "queue_health_summary", "Queue Health Summary"),
        ("WebRTCStats", "web_rtc_stats", "Web RTC Stats"),
        ("agent.status-change", "agent_status_change", "agent status change"),
        ("3DAudio", "type_3_d_audio", "3D Audio"),
    ],
)
def test_names(detail_type: str, module_name: str, title: str) -> None:
    assert scaffold.module_name(detail_type) == module_name
    assert scaffold.title(detail_type) == title


def test_the_contact_id_path_is_declared_once_event_types_have_the_field(
    monkeypatch: pytest.MonkeyPatch, schema: dict[str, Any]
) -> None:
    path = "contact.contactId"
    assert schema["properties"]["contact"]["properties"]["contactId"]["type"] == "string"
    fields = scaffold._event_type_fields()
    monkeypatch.setattr(scaffold, "_event_type_fields", lambda: fields - {"contact_id"})
    assert "contact_id=" not in scaffold.module_text(NEW_TYPE, schema)
    monkeypatch.setattr(scaffold, "_event_type_fields", lambda: fields | {"contact_id"})
    assert f'    contact_id="{path}",\n' in scaffold.module_text(NEW_TYPE, schema)


def test_keys_named_like_personal_data_are_declared_with_a_treatment(
    schema: dict[str, Any], module: ModuleType
) -> None:
    declared = module.EVENT_TYPE.personal
    assert declared == scaffold.personal_fields(schema)
    assert declared["message"] is Treatment.FREE_TEXT
    phone = {"type": "string"}
    items = {"properties": {"phone": phone, "mediaIpAddress": phone}}
    nested = {"properties": {"agents": {"type": "array", "items": items}}}
    assert scaffold.personal_fields(nested) == {
        "agents[].mediaIpAddress": Treatment.ADDRESS,
        "agents[].phone": Treatment.PHONE,
    }


def test_the_personal_rows_go_at_the_end_of_the_table(tmp_path: Path) -> None:
    table = tmp_path / "personal-data.md"
    original = (ROOT / scaffold.PERSONAL_TABLE).read_text(encoding="utf-8")
    table.write_text(original, encoding="utf-8")
    name = f"Other{NEW_TYPE}"
    assert f"| {name} |" not in original
    scaffold.add_personal_rows(table, name, {"a.phone": Treatment.PHONE})
    lines = table.read_text(encoding="utf-8").splitlines()
    (row,) = [line for line in lines if line.startswith(f"| {name} |")]
    assert row.startswith(f"| {name} | `a.phone` | phone | ")
    before = lines[lines.index(row) - 1]
    assert before.startswith("| ") and "` |" in before
    assert len(lines) == len(original.splitlines()) + 1
