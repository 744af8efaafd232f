"""events.builders.build(Model, d) is Model.from_dict(d), for every dict its schema accepts.

Compared strictly: the same classes and the same value types all the way down (3 and 3.0 are
equal in Python, so plain == would hide an int left where from_dict makes a float).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from operata_lambda.events.builders import build
from operata_lambda.events.common import Envelope, Model, Stats
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.validation.schemas import schema_set
from tests.helpers import paths_in, value_at

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(EVENT_TYPES)


def _events() -> list[dict[str, Any]]:
    files = sorted((ROOT / "events" / "source").glob("*.json"))
    return [json.loads(p.read_text()) for p in files]


def _details(name: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in _events() if e.get("detail-type") == name]


def strict(value: Any) -> Any:
    """A structure that is equal only for the same types and values, all the way down."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (type(value), tuple((f.name, strict(getattr(value, f.name))) for f in fields))
    if isinstance(value, dict):
        return (dict, tuple((k, strict(v)) for k, v in value.items()))
    if isinstance(value, list):
        return (list, tuple(strict(v) for v in value))
    if isinstance(value, datetime):
        return (datetime, value.isoformat())
    return (type(value), value)


def assert_same(model: type[Any], data: dict[str, Any]) -> None:
    expected = model.from_dict(copy.deepcopy(data))
    built = build(model, copy.deepcopy(data))
    assert built == expected
    assert strict(built) == strict(expected)


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_builds_as_from_dict(name: str) -> None:
    details = _details(name)
    assert details, f"no fixture for {name}"
    for detail in details:
        assert_same(EVENT_TYPES[name].model, detail)


def test_every_envelope_builds_as_from_dict() -> None:
    for event in _events():
        assert_same(Envelope, event)


# --- generated variations (kept only when the schema still accepts them) ---------------------


@st.composite
def variation(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 6))):
        path = draw(st.sampled_from(paths_in(data)))
        target = value_at(data, path)
        action = draw(st.sampled_from(["omit", "int", "extra", "list", "null", "float"]))
        if action == "omit" and path:
            del value_at(data, path[:-1])[path[-1]]  # kept only if the field was optional
        elif action == "int" and isinstance(target, float) and path:
            value_at(data, path[:-1])[path[-1]] = int(target)  # an int where a float is expected
        elif action == "float" and type(target) is int and path:
            value_at(data, path[:-1])[path[-1]] = float(target)  # 3.0 where an int is expected
        elif action == "extra" and isinstance(target, dict):
            key = draw(st.sampled_from(["newField", "anotherOne", "x"]))
            target[key] = draw(st.sampled_from([1, 2.5, "s", None, [1], {"a": {"b": 1}}]))
        elif action == "list" and isinstance(target, list):
            if target and draw(st.booleans()):
                target.append(copy.deepcopy(draw(st.sampled_from(target))))
            elif target:
                target.pop(draw(st.integers(0, len(target) - 1)))
        elif action == "null" and path:
            value_at(data, path[:-1])[path[-1]] = None  # kept only where the schema allows it
    return data


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_variations_build_as_from_dict(name: str, data: st.DataObject) -> None:
    schema = schema_set().for_detail_type(name)
    assert schema is not None
    detail = data.draw(variation(data.draw(st.sampled_from(_details(name)))))
    assume(Draft202012Validator(schema.document).is_valid(detail))
    assert_same(EVENT_TYPES[name].model, detail)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_envelope_variations_build_as_from_dict(data: st.DataObject) -> None:
    event = data.draw(variation(data.draw(st.sampled_from(_events()))))
    assume(Draft202012Validator(schema_set().envelope().document).is_valid(event))
    assert_same(Envelope, event)


def test_lists_of_models_and_empty_lists() -> None:
    detail = copy.deepcopy(_details("InsightsSummary")[0])
    detail["insights"] = {"count": 2.0, "tags": [{"description": "a"}, {}, {"x": 1}]}
    assert_same(EVENT_TYPES["InsightsSummary"].model, detail)
    detail["insights"]["tags"] = []
    assert_same(EVENT_TYPES["InsightsSummary"].model, detail)
    call = copy.deepcopy(_details("CallSummary")[0])
    call.setdefault("webRTCSession", {})["usedDevices"] = [{"kind": "audioinput"}, {}]
    assert_same(EVENT_TYPES["CallSummary"].model, call)


def test_only_required_fields() -> None:
    for name in NAMES:
        document = schema_set().for_detail_type(name)
        assert document is not None
        minimal = _minimal(document.document)
        assert Draft202012Validator(document.document).is_valid(minimal), name
        assert_same(EVENT_TYPES[name].model, minimal)


def _minimal(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: _minimal(properties.get(key, {})) for key in schema.get("required", [])}
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 0))
    if kind in ("number", "integer"):
        return schema.get("minimum", 0)
    if kind == "array":
        return []
    return None


@dataclasses.dataclass
class WithLists(Model):
    """A model whose defaults are made by factories (none of the event models has one yet)."""

    values: list[float] = dataclasses.field(default_factory=list)
    stats: list[Stats] = dataclasses.field(default_factory=list)


def test_a_default_factory_applies_to_converted_fields_too() -> None:
    for data in [{}, {"values": [1, 2.5]}, {"stats": [{"min": 1}]}]:
        assert strict(build(WithLists, data)) == strict(WithLists.from_dict(data))
