"""The official JSON-Schema-Test-Suite (draft 2020-12) through the project's validation.

Every case of the vendored suite (tests/json_schema_test_suite/, with its optional tests) goes
through the generated check when the generator builds one, through the jsonschema fallback
(reference_check) always, through compile_check (which chooses between them) and through
EventSchema.check (the entry point the batch loop calls, which also explains rejections). Each
verdict must equal jsonschema's Draft202012Validator on the same schema. `$ref`s to
http://localhost:1234/ are resolved from the vendored remotes with a referencing Registry, so
no case is skipped and nothing is fetched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from operata_lambda.validation.generated import INVALID, fast_check
from operata_lambda.validation.reference import reference_check
from operata_lambda.validation.schemas import EventSchema, compile_check

SUITE = Path(__file__).resolve().parents[1] / "json_schema_test_suite"
CASES = SUITE / "tests" / "draft2020-12"
REMOTES = SUITE / "remotes"
FILES = sorted(CASES.rglob("*.json"))


def _registry() -> Registry:
    resources = []
    for path in sorted(REMOTES.rglob("*.json")):
        uri = f"http://localhost:1234/{path.relative_to(REMOTES).as_posix()}"
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((uri, resource))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _verdict(check: Any, instance: Any) -> bool | str:
    """A check's verdict as valid / invalid, or the name of the exception it raised."""
    try:
        return bool(check(instance))
    except Exception as exc:  # jsonschema raises on some schemas (unresolvable refs, regexes)
        return type(exc).__name__


def test_the_suite_is_vendored_with_its_licence_and_source() -> None:
    assert (SUITE / "LICENSE").is_file()
    assert "JSON-Schema-Test-Suite" in (SUITE / "README.md").read_text()
    assert len(FILES) > 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CASES).as_posix())
def test_every_case_gets_the_reference_verdict(path: Path) -> None:
    groups = json.loads(path.read_text(encoding="utf-8"))
    for group in groups:
        schema = group["schema"]
        reference = Draft202012Validator(schema, registry=REGISTRY)
        fast = fast_check(schema)
        checks = {
            "compile_check": compile_check(schema, registry=REGISTRY),
            "reference_check": reference_check(schema, registry=REGISTRY),
        }
        if fast is not None:
            checks["fast_check"] = fast
        event_schema = None
        if isinstance(schema, dict):  # the project's schema files are objects
            event_schema = EventSchema("suite", schema, "", registry=REGISTRY)
        for case in group["tests"]:
            where = f"{path.name}: {group['description']}: {case['description']}"
            instance = case["data"]
            expected = _verdict(reference.is_valid, instance)
            for name, check in checks.items():
                got = _verdict(lambda i, c=check: c(i) != INVALID, instance)
                assert got == expected, (where, name)
            if event_schema is not None:
                got = _verdict(lambda i, s=event_schema: s.check(i)[0] is None, instance)
                assert got == expected, (where, "EventSchema.check")
                if expected is False:
                    violation = event_schema.check(instance)[0]
                    assert violation is not None
                    assert violation.rule != "validator_disagreement", where


def test_both_paths_are_exercised() -> None:
    """Some suite schemas use only the translated keywords: the fast path is tested too."""
    translated = total = 0
    for path in FILES:
        for group in json.loads(path.read_text(encoding="utf-8")):
            total += 1
            translated += fast_check(group["schema"]) is not None
    assert 0 < translated < total
