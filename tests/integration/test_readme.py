"""The README's commands work as written: every fenced `sh` block runs, in order, in a copy of
the project, except `make demo` and `make test` themselves (the suite is the test of those) and
the blocks that start with `# needs AWS` (they need an account). The local AWS block starts its
own moto server on a free port and deploys to it with the real CLI."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.localaws import free_port
from tests.packaging import ROOT, service_copy

pytestmark = pytest.mark.deploy

NEEDS_AWS = "# needs AWS"
ITSELF_TESTED = re.compile(r"^make (demo|test)\b")


def readme_blocks() -> list[list[str]]:
    """Each `sh` block's command lines (continuations joined), those to leave out left out."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = []
    for body in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        if body.startswith(NEEDS_AWS):
            continue
        commands = body.replace("\\\n", " ").splitlines()
        blocks.append([c for c in commands if c.strip() and not ITSELF_TESTED.match(c)])
    return [block for block in blocks if block]


def test_the_readme_has_blocks_to_run_and_to_leave_out() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_blocks()
    assert f"```sh\n{NEEDS_AWS}" in text
    assert re.search(r"```sh\nmake demo\b.*\nmake test\b", text)


def test_every_readme_command_that_needs_no_aws_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = service_copy(tmp_path_factory.mktemp("readme"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        LOCAL_AWS_PORT=str(free_port()),
        QUARANTINE_DIR=str(tmp_path_factory.mktemp("readme-quarantine")),
        SLS_TELEMETRY_DISABLED="1",
        # The installed trees are shared: make must not install into them again.
        MAKEFLAGS="-o .venv/.installed -o node_modules/.installed",
    )
    try:
        for block in readme_blocks():
            script = "set -euo pipefail\n" + "\n".join(block)
            result = subprocess.run(
                ["bash", "-c", script],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            output = result.stdout + result.stderr
            assert result.returncode == 0, f"{block}\n{output[-4000:]}"
            assert "Traceback" not in output, output
    finally:
        subprocess.run(["make", "local-aws-stop"], cwd=project, env=env, capture_output=True)
    assert not (Path(project) / ".local-aws" / "pid").exists()
