"""serverless-plugins/stage-guard.js, through the real CLI: `sls package` refuses the local
stage and any stage parameter outside its allowed values, with one line per problem naming the
parameter, the value and what is allowed, before anything is built; a stage that is not under
`params` packages with the defaults, and the defaults used are printed.

The failing runs stop before packaging starts, so they take a second or two each. The allowed
values are read from serverless.yml (`custom.paramRules`), not copied here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.packaging import (
    PERSONAL_STAGE,
    ROOT,
    SLS,
    Package,
    defaults_listed,
    service_copy,
    sls,
)

pytestmark = pytest.mark.skipif(not SLS.exists(), reason="node_modules missing: run make install")

CONFIG = yaml.safe_load((ROOT / "serverless.yml").read_text())
DEFAULTS: dict[str, Any] = CONFIG["params"]["default"]
RULES: dict[str, dict[str, Any]] = CONFIG["custom"]["paramRules"]
# Free-form parameters: names, prefixes and ARNs. The three ARNs and the bus name reach the
# template as CloudFormation parameters with an AllowedPattern (checked by CloudFormation).
FREE_FORM = {
    "quarantineBucket",
    "quarantinePrefix",
    "metricsNamespace",
    "streamArn",
    "partnerEventBusName",
    "alarmTopicArn",
    "archiveStream",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return service_copy(tmp_path_factory.mktemp("guard-service"))


def package(service: Path, tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    proc = sls("package", *args, "--package", str(tmp_path / "out"), cwd=service, timeout=300)
    lines = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return proc.returncode, lines


def bad_value(rule: dict[str, Any]) -> str:
    """A value the rule refuses: outside the set, or just above the range."""
    if "oneOf" in rule:
        return f"{rule['oneOf'][0]}x"
    _, high = rule.get("integer") or rule["number"]
    return str(high + 1)


def test_every_closed_or_ranged_parameter_has_a_rule() -> None:
    assert set(RULES) <= set(DEFAULTS)
    assert set(DEFAULTS) - set(RULES) == FREE_FORM
    for stage, values in CONFIG["params"].items():
        assert set(values) <= set(DEFAULTS), stage  # a stage only overrides known parameters


AWS_COMMANDS = [["deploy"], ["info"], ["remove"], ["logs", "-f", "processEvents"], ["package"]]


@pytest.mark.parametrize("command", AWS_COMMANDS, ids=lambda c: c[0])
def test_no_stage_is_the_local_stage_which_aws_commands_refuse_in_one_line(
    service: Path, command: list[str]
) -> None:
    proc = sls(*command, cwd=service, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    (line,) = [x for x in output.splitlines() if '"local"' in x]
    assert line == (
        f'Stage "local" (the default) is for sls invoke local only: {command[0]} another '
        "stage, e.g. --stage dev"
    )
    assert "credentials" not in output and "Warning" not in output, output
    assert not (service / ".serverless").exists()


def test_local_stage_is_refused(service: Path, tmp_path: Path) -> None:
    status, lines = package(service, tmp_path, "--stage", "local")
    assert status != 0
    (line,) = [x for x in lines if '"local"' in x]
    assert "sls invoke local only" in line
    assert not (tmp_path / "out").exists()  # nothing was built


@pytest.mark.parametrize(
    "param",
    ["logFormat=jsn", "redactPii=maybe", "batchSize=0", "memorySize=64", "startingPosition=NOW"],
)
def test_a_wrong_value_fails_naming_parameter_value_and_allowed(
    service: Path, tmp_path: Path, param: str
) -> None:
    name, value = param.split("=")
    status, lines = package(service, tmp_path, "--stage", "dev", f"--param={param}")
    assert status != 0
    (line,) = [x for x in lines if x.startswith(f"{name}=")]
    assert line.startswith(f"{name}={value} is not allowed: expected ")
    allowed = RULES[name].get("oneOf")
    if allowed:
        assert line.endswith(f"one of {', '.join(map(str, allowed))}")
    else:
        low, high = RULES[name].get("integer") or RULES[name]["number"]
        assert line.endswith(f"from {low} to {high}")
    assert not (tmp_path / "out").exists()


def test_every_rule_is_enforced(service: Path, tmp_path: Path) -> None:
    """One run with every parameter wrong: one line for each."""
    params = [f"--param={name}={bad_value(rule)}" for name, rule in RULES.items()]
    status, lines = package(service, tmp_path, "--stage", PERSONAL_STAGE, *params)
    assert status != 0
    refused = {m.group(1) for x in lines if (m := re.match(r"^(\w+)=\S+ is not allowed", x))}
    assert refused == set(RULES)


def test_an_unknown_parameter_is_refused(service: Path, tmp_path: Path) -> None:
    status, lines = package(service, tmp_path, "--stage", "dev", "--param=logFromat=json")
    assert status != 0
    expected = "--param logFromat: no such stage parameter (see params.default in serverless.yml)"
    assert expected in lines


def test_every_declared_stage_value_is_allowed(dev: Package, prod: Package) -> None:
    # dev and prod packaged (the session fixtures); the guard let them through.
    assert dev.template and prod.template


def test_personal_stage_packages_with_defaults_and_says_so(personal: Package) -> None:
    line, listed = defaults_listed(personal.output)
    assert f'(stage "{PERSONAL_STAGE}" is not under params)' in line
    assert set(listed) == set(DEFAULTS)
    assert listed["logFormat"] == DEFAULTS["logFormat"]
    assert listed["streamArn"] == "''"


def test_declared_stage_lists_only_what_it_does_not_set(dev: Package) -> None:
    _, listed = defaults_listed(dev.output)
    assert set(listed) == set(DEFAULTS) - set(CONFIG["params"]["dev"])


def test_docs_list_every_parameter_with_its_default() -> None:
    rows = {}
    for line in (ROOT / "docs" / "deploy.md").read_text().splitlines():
        if m := re.match(r"^\| `(\w+)` \| ([^|]*) \|", line):
            rows[m.group(1)] = m.group(2).strip().strip("'")
    assert set(rows) >= set(DEFAULTS)
    for name, value in DEFAULTS.items():
        if isinstance(value, str) and "${" in value:
            continue  # a name made per stage (a Serverless variable): the table says it in words
        if isinstance(value, (int, float)) or (isinstance(value, str) and value):
            assert rows[name] == str(value), name
