"""A schema file that is JSON but not a valid schema, through the real Serverless CLI: `sls
invoke local` and `sls package` refuse in one `setup error:` line naming the file and the
keyword (serverless-plugins/schema-check.js), before any record is looked at or any zip built.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from operata_lambda.config import SCHEMA_DIR_ENV
from tests.helpers import ROOT, SLS, sls_invoke_local
from tests.integration.test_setup_check import the_one_line
from tests.unit.test_schema_checks import BROKEN, broken_directory, broken_document


@pytest.mark.parametrize("case", BROKEN)
def test_sls_invoke_local_refuses_a_broken_schema(case: str, tmp_path: Path) -> None:
    directory = broken_directory(tmp_path, case)
    result = sls_invoke_local(
        "events/mixed-batch.json", ROOT / ".venv" / "bin", **{SCHEMA_DIR_ENV: str(directory)}
    )
    line = the_one_line(result)
    assert str(directory / "CallSummary.json") in line
    assert f"/{BROKEN[case][0]}: " in line


# What `sls package` reads on a copy of the project whose schemas/ are broken.
PACKAGED = ["handler.py", "serverless.yml", "package.json", "requirements.txt"]
PACKAGED_DIRS = ["operata_lambda", "serverless-plugins", "schemas"]


def test_sls_package_refuses_a_broken_schema(tmp_path: Path) -> None:
    case = "pattern Python cannot compile"
    copy = tmp_path / "project"
    for name in PACKAGED_DIRS:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in PACKAGED:
        shutil.copy2(ROOT / name, copy / name)
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    (copy / "schemas" / "CallSummary.json").write_text(json.dumps(broken_document(case)))
    environment = {
        **{k: v for k, v in os.environ.items() if k != SCHEMA_DIR_ENV},
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "SLS_TELEMETRY_DISABLED": "1",
    }
    result = subprocess.run(
        [str(SLS), "package", "--stage", "dev", "--package", str(tmp_path / "out")],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    (line,) = [line for line in output.splitlines() if line.startswith("setup error: ")]
    assert "schemas/CallSummary.json" in line and "/pattern: " in line
    assert "Traceback" not in output
    assert not list((tmp_path / "out").glob("*.zip"))
