"""`sls package` and `sls deploy` from the tests: the CLI's environment, a copy of the service
to run it in, and the packaged stages (session fixtures, registered in conftest.py) that
test_package, test_monitoring and test_stage_guard read.

No AWS credentials are used for packaging: it must not need any.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SLS = ROOT / "node_modules" / ".bin" / "sls"
VENV_BIN = Path(sys.executable).parent
SAMPLES = ROOT / "events" / "source"  # Operata's reference payloads, copied into the repo
FUNCTION = "ProcessEventsLambdaFunction"
MAPPING = "ProcessEventsEventSourceMappingKinesis"  # the logical id serverless.yml extends
SERVICE = yaml.safe_load((ROOT / "serverless.yml").read_text())["service"]
PROD_BUS = "aws.partner/operata.com/0123abcd-1111-2222-3333-444455556666/operata"
PERSONAL_STAGE = "alice"  # a stage not under `params`: every parameter is its default


def sls_env(**extra: str) -> dict[str, str]:
    """The environment for the Serverless CLI: our venv first on PATH (its python3.12 builds
    the requirements), and no AWS credentials or endpoint unless given in `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SLS_TELEMETRY_DISABLED"] = "1"
    return {**env, **extra}


def service_copy(dest: Path) -> Path:
    """A copy of the working tree to run `sls package`/`deploy` in. osls builds in
    `<service>/.serverless` (and the requirements plugin in `.serverless/requirements`) before
    moving the result to `--package`: two runs in one directory break each other, and other
    people and tests run sls here too. Everything is copied, tests and fixtures included, so
    that `package.patterns` has all of it to exclude; the installed trees are linked."""
    skip = {".git", ".serverless", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
    for entry in ROOT.iterdir():
        target = dest / entry.name
        if entry.name in {"node_modules", ".venv"}:
            target.symlink_to(entry)
        elif entry.is_dir() and entry.name not in skip:
            shutil.copytree(entry, target, symlinks=True)
        elif entry.is_file():
            shutil.copy2(entry, target)
    return dest


def sls(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the Serverless CLI; the caller looks at the exit status."""
    return subprocess.run(
        [str(SLS), *args],
        cwd=cwd,
        env=env or sls_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_sls(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 600
) -> str:
    """Run the Serverless CLI, which must succeed; return its standard output."""
    proc = sls(*args, env=env, cwd=cwd, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(
            f"sls {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def stage_params(stage: str, **cli: Any) -> dict[str, Any]:
    """serverless.yml's params for a stage: default, then the stage's own, then CLI --param."""
    config = yaml.safe_load((ROOT / "serverless.yml").read_text())
    params = config["params"]
    return {**params["default"], **params.get(stage, {}), **cli}


@dataclass
class Package:
    stage: str
    params: dict[str, Any]
    template: dict[str, Any]
    zip_path: Path
    output: str = field(default="", repr=False)  # what `sls package` printed (stdout, stderr)

    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]

    def props(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id]["Properties"]

    def condition(self, name: str) -> bool:
        """Evaluate a template condition with the stack parameters at their defaults (osls
        deploys without parameter overrides, so the defaults are what the stack gets)."""
        return bool(_evaluate(self.template["Conditions"][name], self.template))

    def created(self, logical_id: str) -> bool:
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)


def _evaluate(node: Any, template: dict[str, Any]) -> Any:
    if isinstance(node, dict) and len(node) == 1:
        ((fn, arg),) = node.items()
        if fn == "Ref" and arg in template.get("Parameters", {}):
            return template["Parameters"][arg].get("Default", "")
        if fn == "Fn::Equals":
            return _evaluate(arg[0], template) == _evaluate(arg[1], template)
        if fn == "Fn::Not":
            return not _evaluate(arg[0], template)
        if fn == "Condition":
            return _evaluate(template["Conditions"][arg], template)
    return node


def _package(tmp_path_factory: pytest.TempPathFactory, stage: str, **cli: str) -> Package:
    service = service_copy(tmp_path_factory.mktemp(f"service-{stage}"))
    out = tmp_path_factory.mktemp(f"package-{stage}")
    params = [f"--param={k}={v}" for k, v in cli.items()]
    proc = sls("package", "--stage", stage, *params, "--package", str(out), cwd=service)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"sls package --stage {stage} failed ({proc.returncode}):\n{output}")
    template = json.loads((out / "cloudformation-template-update-stack.json").read_text())
    zip_path = out / f"{SERVICE}.zip"
    return Package(stage, stage_params(stage, **cli), template, zip_path, output)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return _package(tmp_path_factory, "dev")


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return _package(tmp_path_factory, "prod", partnerEventBusName=PROD_BUS)


@pytest.fixture(scope="session")
def personal(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return _package(tmp_path_factory, PERSONAL_STAGE)


@pytest.fixture(params=["dev", "prod", "personal"])
def pkg(request: pytest.FixtureRequest) -> Package:
    """Each packaged stage in turn: dev and prod as configured, and a personal stage."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


FROM_DEFAULTS = "Stage parameters from params.default"


def defaults_listed(output: str) -> tuple[str, dict[str, str]]:
    """The line that introduces the parameters taken from params.default, and those listed
    under it (one `name=value` a line)."""
    lines = output.splitlines()
    (at,) = [i for i, line in enumerate(lines) if FROM_DEFAULTS in line]
    listed = {}
    for line in lines[at + 1 :]:
        found = re.match(r"^  (\w+)=(.*)$", line)
        if not found:
            break
        listed[found.group(1)] = found.group(2)
    return lines[at], listed
