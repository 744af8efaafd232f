"""The documented schema update, end to end, on a copy of the project: a sample with new fields
-> `schemas diff` -> `schemas update` -> the sample added to events/source/ -> `make fixtures`
-> the test suite's fixture and schema checks pass on the copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import (
    ROOT,
    call_summary_with_three_new_fields,
    pending_markers,
    three_new_fields,
)

# What the copy needs to run the tools, `make fixtures` and the tests below.
PARTS = ["operata", "operata_lambda", "scripts", "schemas", "events", "tests", "bench"]
FILES = ["handler.py", "Makefile", "pyproject.toml", "serverless.yml", "package.json"]
FILES += ["requirements.txt", "requirements-dev.txt"]
CHECKS = [
    "tests/integration/test_fixtures.py",
    "tests/unit/test_formatting.py",
    "tests/unit/test_schemas.py",
    "tests/unit/test_schema_tools.py",
    "tests/unit/test_drift.py",
    "tests/unit/test_handler.py",
]


def project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".quarantine")
    for name in PARTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in FILES:
        shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(sys.prefix)  # the virtualenv running these tests
    return copy


def run(copy: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "OPERATA_SCHEMA_DIR"}
    return subprocess.run(
        argv, cwd=copy, env=environment, capture_output=True, text=True, timeout=600
    )


def operata(copy: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return run(copy, sys.executable, "-m", "operata", *argv)


def test_the_documented_schema_update_ends_green(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    event = call_summary_with_three_new_fields()
    event["id"] = "c0ffee00-0000-4000-8000-000000000042"
    sample = tmp_path / "samples" / "new-fields.json"
    sample.parent.mkdir()
    sample.write_text(json.dumps(event, indent=2) + "\n")
    new = three_new_fields()

    # 1. diff: an update is needed, and it names the fields
    result = operata(copy, "schemas", "diff", str(sample))
    assert result.returncode == 1, result.stdout + result.stderr
    assert all(field.path in result.stdout for field in new)

    # 2. update: the schema describes them now
    result = operata(copy, "schemas", "update", str(sample))
    assert result.returncode == 0, result.stdout + result.stderr
    assert operata(copy, "schemas", "diff", str(sample)).returncode == 0

    # 3. the sample becomes a fixture, 4. make fixtures writes what derives from it
    shutil.copy(sample, copy / "events" / "source" / "CallSummary-new-fields.json")
    result = run(copy, "make", "--no-print-directory", "-o", ".venv/.installed", "fixtures")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "new:     tests/expected/CallSummary-new-fields.txt" in result.stdout
    assert "changed: events/mixed-batch.json" in result.stdout
    rendering = (copy / "tests" / "expected" / "CallSummary-new-fields.txt").read_text()
    assert f"Event ID: {event['id']}" in rendering

    # 5. the checks pass: schemas check lists the new fields as pending, the tests are green
    result = operata(copy, "schemas", "check")
    assert result.returncode == 0, result.stdout
    pending = [line for line in result.stdout.splitlines() if line.startswith("pending: ")]
    assert len(pending) == pending_markers(copy / "schemas") == pending_markers() + len(new)
    result = run(copy, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CHECKS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
