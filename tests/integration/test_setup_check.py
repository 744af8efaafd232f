"""Setup errors (operata_lambda/setup_check.py): a wrong Python, a missing dependency, a broken
schema file or an event that is not a Kinesis event fail the invocation in one line, and no
record gets an outcome. End to end through `sls invoke local`, as users run it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import handler
from operata.fixtures import kinesis_event
from operata_lambda import setup_check
from operata_lambda.validation import schemas
from tests.helpers import EVENTS, ROOT, SOURCES, encode, sls_invoke_local, source_event

pytestmark = pytest.mark.usefixtures("fresh_container")


# --- what is checked agrees with the project -----------------------------------------------


def test_the_runtime_version_is_serverless_yml_s() -> None:
    text = (ROOT / "serverless.yml").read_text()
    (runtime,) = re.findall(r"^\s+runtime:\s*python(\d+)\.(\d+)\s*$", text, re.MULTILINE)
    assert tuple(int(n) for n in runtime) == setup_check.RUNTIME


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in [ROOT / "handler.py", *(ROOT / "operata_lambda").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {name.split(".")[0] for name in names}
    return found - set(sys.stdlib_module_names) - {"operata_lambda", "__future__"}


def test_every_module_the_function_may_import_is_checked() -> None:
    """Imports at start and lazy ones (the quarantine's boto3, jsonschema for explanations)."""
    assert _third_party_imports() <= set(setup_check.DEPENDENCIES)


def test_every_runtime_requirement_is_checked() -> None:
    modules_of: dict[str, set[str]] = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            modules_of.setdefault(distribution.lower().replace("_", "-"), set()).add(module)
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name = re.split(r"[\[<>=!~; ]", line)[0].lower().replace("_", "-")
        assert modules_of.get(name, set()) & set(setup_check.DEPENDENCIES), name


# --- the lines ------------------------------------------------------------------------------


def test_an_older_python_is_named_with_the_fix() -> None:
    assert setup_check.python_problem(sys.version_info) is None
    line = setup_check.python_problem((3, 11, 7), "/usr/bin/python3")
    assert line is not None and "\n" not in line
    assert line.startswith("Python 3.11.7 at /usr/bin/python3 is older than")
    assert "python{}.{}".format(*setup_check.RUNTIME) in line
    assert ". .venv/bin/activate" in line and "make demo" in line


def test_a_missing_dependency_is_named_with_the_interpreter_and_the_fix() -> None:
    assert setup_check.dependency_problem() is None
    line = setup_check.dependency_problem(("jsonschema", "no_such_module_here"))
    assert line is not None and "\n" not in line
    assert line.startswith(f"no_such_module_here is not installed for {sys.executable}: ")
    assert ". .venv/bin/activate" in line
    assert "no_such_module_here" not in sys.modules  # looked up, not imported


@pytest.mark.parametrize(
    "event",
    [source_event("CallSummary"), [source_event("CallSummary"), source_event("HeadsetSummary")]],
    ids=["one", "a-list"],
)
def test_eventbridge_events_given_as_the_event_point_at_kinesis_event(event: Any) -> None:
    line = setup_check.event_problem(event)
    assert line is not None and "\n" not in line
    assert "EventBridge event" in line and "python -m operata kinesis-event" in line


def test_other_events_are_left_to_the_batch_loop() -> None:
    """tests/unit/test_handler.py: malformed events never raise; they are an empty batch."""
    kinesis = kinesis_event([encode(source_event("CallSummary"))])
    for event in [kinesis, {}, {"Records": None}, [], None, [1, 2]]:
        assert setup_check.event_problem(event) is None


# --- in the handler -------------------------------------------------------------------------


def broken_copy(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", directory)
    (directory / f"{name}.json").write_text(text)
    return directory


def test_a_schema_file_that_is_not_json_fails_the_invocation_not_the_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "schemas" / "HeadsetSummary.json").read_text()
    directory = broken_copy(tmp_path, "HeadsetSummary", text.replace('"', "", 1))
    monkeypatch.setenv(schemas.SCHEMA_DIR_ENV, str(directory))
    event = kinesis_event([(SOURCES / "HeadsetSummary.json").read_bytes()])
    with pytest.raises(setup_check.SetupError) as raised:
        handler.handler(event, None)
    line = str(raised.value)
    assert "\n" not in line
    assert str(directory / "HeadsetSummary.json") in line
    assert "not valid JSON at line 2, column" in line
    assert capsys.readouterr().out == ""  # no record was looked at: nothing rejected or kept

    # fixed (a new container), the same event is processed
    (directory / "HeadsetSummary.json").write_text(text)
    schemas.clear_cache()
    setup_check.forget()
    assert handler.handler(event, None) == {"batchItemFailures": []}


def test_a_schema_with_an_unknown_type_fails_the_invocation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = json.loads((ROOT / "schemas" / "CallSummary.json").read_text())
    document["properties"]["contact"]["type"] = "objekt"
    directory = broken_copy(tmp_path, "CallSummary", json.dumps(document))
    monkeypatch.setenv(schemas.SCHEMA_DIR_ENV, str(directory))
    with pytest.raises(setup_check.SetupError, match=r"CallSummary\.json: not a valid JSON"):
        handler.handler(kinesis_event([encode(source_event("HeadsetSummary"))]), None)


def test_a_plain_eventbridge_event_fails_the_invocation() -> None:
    with pytest.raises(setup_check.SetupError, match="python -m operata kinesis-event"):
        handler.handler(source_event("CallSummary"), None)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOG_FORMAT", "jsn"),
        ("LOG_LEVEL", "LOUD"),
        ("REDACT_PII", "maybe"),
        ("DEADLINE_MARGIN_MS", "-1"),
    ],
)
def test_an_invalid_setting_fails_the_invocation_naming_it(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    event = kinesis_event([encode(source_event("CallSummary"))])
    with pytest.raises(setup_check.SetupError, match=variable) as raised:
        handler.handler(event, None)
    assert "\n" not in str(raised.value)


# --- end to end: sls invoke local -----------------------------------------------------------


def the_one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The function's output is exactly one line, the setup error; no record was reported."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    (line,) = [line for line in output.splitlines() if line.startswith("setup error: ")]
    for outcome in ["PROCESSED", "REJECTED", "QUARANTINED", "SKIPPED", "Traceback"]:
        assert outcome not in output, output
    return line


def bare_venv(tmp_path: Path, python: str) -> Path:
    """A virtualenv with nothing installed in it: its bin directory."""
    target = tmp_path / "bare"
    subprocess.run([python, "-m", "venv", "--without-pip", str(target)], check=True)
    return target / "bin"


def test_sls_invoke_local_with_a_python_lacking_the_dependencies(tmp_path: Path) -> None:
    bin_dir = bare_venv(tmp_path, sys.executable)
    line = the_one_line(sls_invoke_local("events/mixed-batch.json", bin_dir))
    assert "jsonschema" in line and "dataclasses_json" in line
    assert f"not installed for {bin_dir / 'python3'}" in line
    assert ". .venv/bin/activate" in line


def _older_python() -> str | None:
    major, minor = setup_check.RUNTIME
    for candidate in [f"python{major}.{minor - 1}", f"python{major}.{minor - 2}"]:
        found = shutil.which(candidate)
        pyenv = shutil.which("pyenv")
        if found is None and pyenv:
            root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
            versions = sorted(Path(root, "versions").glob(candidate.removeprefix("python") + ".*"))
            executables = [
                v / "bin" / candidate for v in versions if (v / "bin" / candidate).exists()
            ]
            found = str(executables[-1]) if executables else None
        if found and subprocess.run([found, "-c", "0"]).returncode == 0:
            return found
    return None


def test_sls_invoke_local_with_an_older_python(tmp_path: Path) -> None:
    older = _older_python()
    if older is None:
        pytest.skip("no Python older than the runtime's on this machine")
    bin_dir = bare_venv(tmp_path, older)
    line = the_one_line(sls_invoke_local("events/mixed-batch.json", bin_dir))
    assert "is older than the function's runtime" in line


def test_sls_invoke_local_with_a_broken_schema_file(tmp_path: Path) -> None:
    text = (ROOT / "schemas" / "CallSummary.json").read_text()
    directory = broken_copy(tmp_path, "CallSummary", text[:-3])  # cut short
    line = the_one_line(
        sls_invoke_local(
            "events/mixed-batch.json",
            ROOT / ".venv" / "bin",
            **{schemas.SCHEMA_DIR_ENV: str(directory)},
        )
    )
    assert str(directory / "CallSummary.json") in line
    assert "not valid JSON at line" in line


def test_sls_invoke_local_with_a_plain_eventbridge_event() -> None:
    result = sls_invoke_local("events/source/CallSummary.json", ROOT / ".venv" / "bin")
    line = the_one_line(result)
    assert "python -m operata kinesis-event" in line
    assert (EVENTS / "source" / "CallSummary.json").exists()
