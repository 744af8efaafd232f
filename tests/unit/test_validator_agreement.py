"""The hot path's validator (schemas.compile_check) gives jsonschema's verdict, every time.

jsonschema (Draft 2020-12) is the reference. For every schema in schemas/ (the envelope too),
on the fixtures and on hypothesis-generated mutations of them (type changes, removed required
fields, out-of-range values, extra fields, integer-valued floats, booleans for numbers, nulls),
the generated check must accept exactly what jsonschema accepts, and must report new fields
exactly when jsonschema rejects the closed variant of the schema (additionalProperties: false
wherever properties are listed). Random schemas made of the keywords the generator translates
are compared too, and a schema with a keyword it does not translate goes to jsonschema itself.
Wherever jsonschema rejects an instance, the explanation (EventSchema.explain, which skips the
parts the generated checks accept) is best_match over all of jsonschema's errors.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from operata_lambda.validation.generated import (
    INVALID,
    VALID,
    VALID_WITH_NEW_FIELDS,
    fast_check,
    generate,
)
from operata_lambda.validation.reference import MAX_ITEM_ERRORS, closed_variant
from operata_lambda.validation.schemas import MAX_MESSAGE, EventSchema, compile_check, schema_set
from tests.helpers import paths_in, value_at

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_NAMES = ["envelope", *schema_set().detail_types()]

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _event_files() -> list[Path]:
    return sorted((ROOT / "events" / "source").glob("*.json"))


def _fixtures(name: str) -> list[Any]:
    """Instances for a schema: whole events for the envelope, their details for a type."""
    found = []
    for path in _event_files():
        event = json.loads(path.read_text())
        if name == "envelope":
            found.append(event)
        elif event.get("detail-type") == name:
            found.append(event["detail"])
    return found


def _document(name: str) -> dict[str, Any]:
    schema = schema_set().envelope() if name == "envelope" else schema_set().for_detail_type(name)
    assert schema is not None
    return schema.document


_compiled: dict[str, tuple[Any, Any, Any]] = {}


def _validators(document: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(the generated check, jsonschema's validator, jsonschema's for the closed variant)."""
    key = json.dumps(document, sort_keys=True)
    if key not in _compiled:
        _compiled[key] = (
            compile_check(document),
            Draft202012Validator(document),
            Draft202012Validator(closed_variant(document)),
        )
    return _compiled[key]


_explainers: dict[str, EventSchema] = {}


def assert_agrees(document: dict[str, Any], instance: Any) -> int:
    """The generated check's verdict, after comparing it with jsonschema's (and, for an
    invalid instance, the explanation with best_match over the whole instance)."""
    check, reference, closed = _validators(document)
    verdict = check(instance)
    valid = reference.is_valid(instance)
    assert (verdict != INVALID) == valid, (verdict, instance)
    if valid:
        closed_valid = closed.is_valid(instance)
        assert verdict == (VALID if closed_valid else VALID_WITH_NEW_FIELDS), instance
    else:
        key = json.dumps(document, sort_keys=True)
        schema = _explainers.setdefault(key, EventSchema("t", document, "detail"))
        expected = schema.violation(best_match(reference.iter_errors(instance)))
        assert schema.explain(instance) == expected, instance
    return verdict


# --- mutations of the fixtures ---------------------------------------------------------------

ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    3,
    3.0,
    -3.0,
    2.5,
    -0.001,
    1e300,
    -1e300,
    10**30,
    "",
    "x",
    "3",
    [],
    [1, "a"],
    {},
    {"unexpected": 1},
]


def _numeric_variants(value: Any) -> list[Any]:
    """Edge values for a number: integer-valued floats, booleans, out of range, negative."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    return [
        float(value),
        int(value),
        value + 0.5,
        -value - 1,
        value * 1000 + 101,
        True,
        False,
        None,
        str(value),
        -0.0,
        101,
        100.0,
        100.5,
    ]


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    instance = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_in(instance)
        path = draw(st.sampled_from(paths))
        if not path:
            if draw(st.booleans()):
                return copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
            continue
        parent, last = value_at(instance, path[:-1]), path[-1]
        current = parent[last]
        action = draw(st.sampled_from(["remove", "replace", "numeric", "extra", "string"]))
        if action == "remove":
            del parent[last]  # a removed required field, or a missing optional one
        elif action == "numeric" and _numeric_variants(current):
            parent[last] = draw(st.sampled_from(_numeric_variants(current)))
        elif action == "extra" and isinstance(current, dict):
            key = draw(st.sampled_from(["newField", "x", "", "id", "avg"]))
            current[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif action == "string" and isinstance(current, str):
            parent[last] = draw(st.sampled_from(["", "a", current + "é", current[:1]]))
        else:
            parent[last] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
    return instance


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_fixture_is_checked_as_jsonschema_checks_it(name: str) -> None:
    fixtures = _fixtures(name)
    assert fixtures, f"no fixture for {name}"
    for instance in fixtures:
        assert assert_agrees(_document(name), instance) != INVALID


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_the_generator_translates_every_schema_in_schemas(name: str) -> None:
    # Otherwise the jsonschema fallback runs: correct, but much slower. Say so here.
    assert fast_check(_document(name)) is not None


@pytest.mark.parametrize("name", SCHEMA_NAMES)
@SETTINGS
@given(data=st.data())
def test_mutated_fixtures_get_the_reference_verdict(name: str, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(_fixtures(name)))
    assert_agrees(_document(name), data.draw(mutated(base)))


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_each_field_removed_or_retyped_alone(name: str) -> None:
    """Exhaustive over the paths of every fixture: each mutation on its own."""
    document = _document(name)
    for base in _fixtures(name):
        for path in paths_in(base)[1:]:
            parent_path, last = path[:-1], path[-1]
            removed = copy.deepcopy(base)
            del value_at(removed, parent_path)[last]
            assert_agrees(document, removed)
            value = value_at(base, path)
            for odd in [*ODD_VALUES, *_numeric_variants(value)]:
                changed = copy.deepcopy(base)
                value_at(changed, parent_path)[last] = odd
                assert_agrees(document, changed)


# --- random schemas of the translated keywords -------------------------------------------------

KINDS = ["object", "array", "string", "number", "integer", "boolean", "null"]
NUMBERS = st.one_of(
    st.integers(-3, 3), st.sampled_from([0.0, 0.5, -1.5, 2.0, 1e308, 10**20]), st.booleans()
)


def _schemas() -> st.SearchStrategy[dict[str, Any]]:
    leaf_keywords: dict[str, st.SearchStrategy[Any]] = {
        "type": st.one_of(
            st.sampled_from(KINDS), st.lists(st.sampled_from(KINDS), min_size=1, max_size=3)
        ),
        "minimum": st.integers(-2, 2) | st.sampled_from([0.5, -0.5]),
        "maximum": st.integers(-2, 2) | st.sampled_from([1.5, 100.0]),
        "exclusiveMinimum": st.integers(-2, 2),
        "exclusiveMaximum": st.integers(-2, 2) | st.just(2.5),
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 3),
        "minItems": st.integers(0, 2),
        "maxItems": st.integers(0, 2),
        "description": st.just("annotation"),
        "format": st.just("date-time"),
        "x-model": st.just(False),
    }
    leaf = st.fixed_dictionaries({}, optional=leaf_keywords)

    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
        return st.fixed_dictionaries(
            {},
            optional={
                **leaf_keywords,
                "properties": st.dictionaries(st.sampled_from("abcd"), children, max_size=3),
                "required": st.lists(st.sampled_from("abce"), max_size=3, unique=True),
                "additionalProperties": st.booleans(),
                "items": children,
            },
        )

    return st.recursive(leaf, extend, max_leaves=8)


def _instances() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        NUMBERS,
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=4),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.sampled_from("abcde"), children, max_size=4),
        ),
        max_leaves=10,
    )


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=_schemas(), instances=st.lists(_instances(), min_size=1, max_size=5))
def test_random_schemas_of_the_translated_keywords(schema: Any, instances: list[Any]) -> None:
    assert generate(schema) is not None
    for instance in instances:
        assert_agrees(schema, instance)


def test_deeply_nested_schemas_are_split_into_functions() -> None:
    schema: dict[str, Any] = {"type": "integer", "minimum": 0}
    instance: Any = 1
    for _ in range(60):
        schema = {"type": "object", "properties": {"a": schema}, "required": ["a"]}
        instance = {"a": instance}
    assert assert_agrees(schema, instance) == VALID
    bad = copy.deepcopy(instance)
    inner = bad
    for _ in range(59):
        inner = inner["a"]
    inner["a"] = -1
    assert assert_agrees(schema, bad) == INVALID
    inner["a"] = 2.0
    inner["b"] = 1
    assert assert_agrees(schema, bad) == VALID_WITH_NEW_FIELDS


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"enum": ["a", 1]}, "a", "b"),
        (
            {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
            {"xa": "s"},
            {"xa": 1},
        ),
        ({"$defs": {"n": {"type": "number"}}, "$ref": "#/$defs/n"}, 1.5, "1.5"),
        ({"type": "array", "items": False}, [], [1]),
    ],
)
def test_other_keywords_fall_back_to_jsonschema(schema: Any, good: Any, bad: Any) -> None:
    assert generate(schema) is None
    assert assert_agrees(schema, good) != INVALID
    assert assert_agrees(schema, bad) == INVALID


def test_the_event_schema_explains_with_jsonschema() -> None:
    schema = schema_set().for_detail_type("CallSummary")
    assert schema is not None
    detail = copy.deepcopy(_fixtures("CallSummary")[0])
    assert schema.check(detail) == (None, False)
    detail["newField"] = 1
    assert schema.check(detail) == (None, True)
    detail["contact"]["id"]["current"] = ""
    violation, new_fields = schema.check(detail)
    assert violation is not None and not new_fields
    assert violation.rule == "minLength"
    assert violation.path == "detail.contact.id.current"


def test_import_handler_loads_neither_jsonschema_nor_boto3_nor_fastjsonschema() -> None:
    import subprocess
    import sys

    code = (
        "import sys, handler; "
        "print(sorted(m for m in ('jsonschema', 'boto3', 'fastjsonschema') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


# --- the fallback: the schema as written decides validity -------------------------------------

# Closing a subschema (additionalProperties: false) under a keyword that negates or counts its
# verdict makes the whole schema accept more: these instances are valid for the closed variant
# and invalid for the schema as written.
LOOSER_WHEN_CLOSED = [
    ({"not": {"properties": {"a": {"type": "integer"}}}}, {"a": 1, "b": 2}),
    (
        {
            "type": "object",
            "if": {"properties": {"kind": {"const": "call"}}, "required": ["kind"]},
            "then": {"required": ["mos"]},
        },
        {"kind": "call", "agent": "x"},
    ),
    (
        {"oneOf": [{"properties": {"a": {"type": "integer"}}}, {"required": ["b"]}]},
        {"a": 1, "b": 2},
    ),
    (
        {"type": "array", "contains": {"properties": {"a": {"type": "integer"}}}, "maxContains": 1},
        [{"a": 1}, {"a": 2, "b": 3}],
    ),
]


@pytest.mark.parametrize(("schema", "instance"), LOOSER_WHEN_CLOSED)
def test_the_fallback_never_lets_the_closed_variant_decide_validity(
    schema: dict[str, Any], instance: Any
) -> None:
    assert Draft202012Validator(closed_variant(schema)).is_valid(instance)
    assert not Draft202012Validator(schema).is_valid(instance)
    assert fast_check(schema) is None
    assert assert_agrees(schema, instance) == INVALID
    violation, _ = EventSchema("t", schema, "detail").check(instance)
    assert violation is not None and violation.rule != "validator_disagreement"


def test_the_fallback_reports_new_fields_only_for_valid_instances() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "oneOf": [{}, {}]}
    assert assert_agrees(schema, {"a": 1}) == INVALID  # oneOf: both branches match
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "anyOf": [{}]}
    assert assert_agrees(schema, {"a": 1}) == VALID
    assert assert_agrees(schema, {"a": 1, "b": 2}) == VALID_WITH_NEW_FIELDS
    assert assert_agrees(schema, {"a": "1", "b": 2}) == INVALID


# --- the fallback: a fast check that cannot be built ------------------------------------------


def _nested_arrays(levels: int) -> tuple[dict[str, Any], Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": 0}
    instance: Any = 1
    for _ in range(levels):
        schema = {"type": "array", "items": schema}
        instance = [instance]
    return schema, instance


def test_a_fast_check_that_does_not_compile_falls_back_to_jsonschema() -> None:
    # 21 nested loops: beyond Python's limit of 20 statically nested blocks (SyntaxError).
    schema, instance = _nested_arrays(21)
    assert generate(schema) is not None  # translated, but its code cannot be compiled
    assert fast_check(schema) is None
    assert assert_agrees(schema, instance) == VALID
    bad = json.loads(json.dumps(instance).replace("1", "-1"))
    assert assert_agrees(schema, bad) == INVALID
    event_schema = EventSchema("t", schema, "detail")
    assert event_schema.check(instance) == (None, False)
    violation, _ = event_schema.check(bad)
    assert violation is not None and violation.rule == "minimum"


def test_a_schema_too_deep_to_generate_falls_back_to_jsonschema() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(600):  # the generator recurses twice per level: RecursionError
        schema = {"type": "object", "properties": {"a": schema}}
    assert fast_check(schema) is None
    check, reference = compile_check(schema), Draft202012Validator(schema)
    for instance in [{}, {"a": {}}, {"b": 1}, [], {"a": 1}, {"a": {"a": "x"}}]:
        assert (check(instance) != INVALID) == reference.is_valid(instance), instance
    assert check({"a": {}}) == VALID
    assert check({"b": 1}) == VALID_WITH_NEW_FIELDS
    assert check({"a": 1}) == INVALID


# --- bounded explanations -------------------------------------------------------------------


class CountedList(list[Any]):
    """A list that counts how many of its items are read one by one."""

    reads = 0

    def __getitem__(self, index: Any) -> Any:
        CountedList.reads += 1
        return super().__getitem__(index)


def _call_summary_with_devices(devices: list[Any]) -> dict[str, Any]:
    detail = copy.deepcopy(_fixtures("CallSummary")[0])
    detail.setdefault("webRTCSession", {})["usedDevices"] = devices
    return detail


def test_an_array_of_wrong_items_is_explained_from_its_first_wrong_items_only() -> None:
    schema = EventSchema("CallSummary", _document("CallSummary"), "detail")
    for size in (MAX_ITEM_ERRORS * 10, MAX_ITEM_ERRORS * 1000):
        CountedList.reads = 0
        violation, _ = schema.check(_call_summary_with_devices(CountedList([1] * size)))
        assert violation is not None and violation.rule == "type"
        assert violation.path.startswith("detail.webRTCSession.usedDevices[")
        assert CountedList.reads == MAX_ITEM_ERRORS  # whatever the array's length


def test_an_explanation_chooses_among_at_most_max_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import operata_lambda.validation.reference as reference

    chosen: list[int] = []

    def counting_best_match(errors: Any) -> Any:
        seen = list(errors)
        chosen.append(len(seen))
        return best_match(seen)

    monkeypatch.setattr("jsonschema.exceptions.best_match", counting_best_match)
    properties = {f"p{i}": {"type": "array", "items": {"type": "string"}} for i in range(30)}
    document = {"type": "object", "properties": properties}
    instance = {name: [1] * 50 for name in properties}  # 30 x 50 wrong items
    violation = EventSchema("t", document, "detail").explain(instance)
    assert violation.rule == "type"
    assert chosen == [reference.MAX_ERRORS]


def test_an_explanation_stops_when_time_runs_out() -> None:
    schema = EventSchema("CallSummary", _document("CallSummary"), "detail")
    detail = _call_summary_with_devices([1] * 100)
    asked: list[bool] = []

    def out_of_time() -> bool:
        asked.append(True)
        return len(asked) > 1  # time runs out after the first error

    violation, _ = schema.check(detail, out_of_time=out_of_time)
    assert violation is not None and violation.path == "detail.webRTCSession.usedDevices[0]"
    assert len(asked) == 2
    violation, _ = schema.check(detail, out_of_time=lambda: True)
    assert violation is not None and violation.rule == "unexplained"
    assert "too little time left" in violation.message


def test_a_value_nested_too_deep_for_jsonschema_is_still_rejected_as_invalid() -> None:
    nested: Any = "x"
    for _ in range(5000):
        nested = [nested]
    detail = copy.deepcopy(_fixtures("CallSummary")[0])
    detail["contact"] = nested
    schema = EventSchema("CallSummary", _document("CallSummary"), "detail")
    violation, _ = schema.check(detail)
    assert violation is not None
    assert violation.rule in {"type", "unexplained"}


def test_a_message_quoting_a_huge_value_is_cut() -> None:
    schema = EventSchema("CallSummary", _document("CallSummary"), "detail")
    detail = copy.deepcopy(_fixtures("CallSummary")[0])
    detail["contact"] = ["x" * 100] * (MAX_MESSAGE * 10)
    violation, _ = schema.check(detail)
    assert violation is not None and violation.rule == "type"
    assert violation.message.startswith("['xxx")
    left_out = len(repr(detail["contact"])) + len(" is not of type 'object'") - MAX_MESSAGE
    assert violation.message.endswith(f"…[{left_out} more characters left out]")
    assert len(violation.message) < MAX_MESSAGE + 50
