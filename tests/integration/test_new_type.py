"""A new Operata detail-type in one command, on a copy of the project, then the checks a user
runs: `schemas update --new-type samples/` -> `make fixtures` -> `schemas check`, `make lint`,
`make unit` and the fixture tests pass with no other edit; what changed is only the new type's
module, schema, samples, its registry lines, the changelog line, the rows of its personal
fields in docs/personal-data.md and the regenerated fixtures.
Afterwards a record with a fraction where the sample had a whole number is processed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from operata.scaffold import module_name, personal_fields
from operata.schema_tools import starting_schema
from tests.helpers import pending_markers
from tests.new_type_sample import NEW_TYPE, new_type_event
from tests.packaging import ROOT

SKIP = {".git", ".serverless", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
SKIP |= {".quarantine", "node_modules", ".venv", "__pycache__"}
MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed", "-o", "node_modules/.installed"]


def project_copy(dest: Path) -> Path:
    """The working tree as a clone has it, with the installed trees linked."""
    ignore = shutil.ignore_patterns(*SKIP)
    dest.mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name in {"node_modules", ".venv"}:
            (dest / entry.name).symlink_to(entry.resolve())
        elif entry.is_dir() and entry.name not in SKIP:
            shutil.copytree(entry, dest / entry.name, ignore=ignore)
        elif entry.is_file():
            shutil.copy2(entry, dest / entry.name)
    return dest


def digests(root: Path) -> dict[str, str]:
    found = {}
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if path.is_file() and not path.is_symlink() and not set(parts) & SKIP:
            found["/".join(parts)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run(copy: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"OPERATA_SCHEMA_DIR", "MAKEFLAGS"}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(argv, cwd=copy, env=env, capture_output=True, text=True, timeout=900)


def test_a_new_type_in_one_command_then_the_users_checks_pass(tmp_path: Path) -> None:
    copy = project_copy(tmp_path / "project")
    samples = tmp_path / "samples"
    samples.mkdir()
    event = new_type_event()
    (samples / "first.json").write_text(json.dumps(event, indent=2))
    before = digests(copy)

    done = run(
        copy, sys.executable, "-m", "operata", "schemas", "update", "--new-type", str(samples)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(copy, *MAKE, "fixtures")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"new:     tests/expected/{NEW_TYPE}.txt" in done.stdout

    after = digests(copy)
    changed = {name for name in after if before.get(name) != after[name]}
    module = f"operata_lambda/events/{module_name(NEW_TYPE)}.py"
    personal = personal_fields(starting_schema(NEW_TYPE, [event["detail"]]))
    assert personal  # the sample has a key named like personal data: its row is written
    assert changed == {
        "docs/personal-data.md",
        module,
        "operata_lambda/events/registry.py",
        f"schemas/{NEW_TYPE}.json",
        "schemas/CHANGELOG.md",
        f"events/source/{NEW_TYPE}.json",
        f"events/{NEW_TYPE}.json",
        "events/mixed-batch.json",
        f"tests/expected/{NEW_TYPE}.txt",
    }
    assert set(before) <= set(after)
    rendering = (copy / "tests" / "expected" / f"{NEW_TYPE}.txt").read_text()
    assert f"Event ID: {event['id']}" in rendering
    assert "Details:" in rendering

    done = run(copy, sys.executable, "-m", "operata", "schemas", "check")
    assert done.returncode == 0, done.stdout
    # the new type leaves nothing for a person to unmark: the pending fields are the ones the
    # project had before (none, unless a schema update is under way)
    pending = [line for line in done.stdout.splitlines() if line.startswith("pending: ")]
    assert len(pending) == pending_markers(copy / "schemas") == pending_markers()
    assert not [line for line in pending if line.startswith(f"pending: {NEW_TYPE}:")]
    for target in ("lint", "unit"):
        done = run(copy, *MAKE, target)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    done = run(
        copy,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/integration/test_fixtures.py",
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]

    # Operata later sends a fraction where the sample had a whole number: still processed.
    later = new_type_event("a9e0c0de-0000-4000-8000-000000000002")
    whole = [key for key, value in later["detail"].items() if type(value) is int]
    assert whole
    for key in whole:
        later["detail"][key] += 0.5
    (samples / "later.json").write_text(json.dumps(later))
    done = run(copy, sys.executable, "-m", "operata", "schemas", "diff", str(samples))
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(
        copy,
        sys.executable,
        "-m",
        "operata",
        "kinesis-event",
        str(samples / "later.json"),
        "-o",
        str(tmp_path / "later-batch.json"),
    )
    assert done.returncode == 0, done.stderr
    script = (
        "import json, os, sys\n"
        "os.environ['LOG_FORMAT'] = 'text'\n"
        "import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "print(json.dumps(handler.handler(event, None)))\n"
    )
    done = run(copy, sys.executable, "-c", script, str(tmp_path / "later-batch.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"batchItemFailures": []}
    assert "PROCESSED seq=" in done.stdout
    assert all(f": {later['detail'][key]}" in done.stdout for key in whole), done.stdout
