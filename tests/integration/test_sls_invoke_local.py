"""The real Serverless CLI runs the handler on the fixtures, as `make demo` does, and as a
Serverless user types it by habit: with no --stage, or with a deployed stage's name, and no AWS
credentials."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml

from tests.helpers import EVENTS, ROOT, sls_invoke_local
from tests.localaws import DUMMY_CREDENTIALS

CONFIG = yaml.safe_load((ROOT / "serverless.yml").read_text())
DEPLOYED_STAGES = [stage for stage in CONFIG["params"] if stage not in {"default", "local"}]
JS_STACK = re.compile(r"^\s+at .+:\d+:\d+\)?$", re.M)


def invoke_local(
    fixture: str, *args: str, stage: str | None = "local", **env: str
) -> subprocess.CompletedProcess[str]:
    """As a user runs it after `. .venv/bin/activate`: the project's Python first on PATH."""
    return sls_invoke_local(fixture, ROOT / ".venv" / "bin", *args, stage=stage, **env)


def response_of(stdout: str) -> dict[str, object]:
    start = stdout.rindex('{\n    "batchItemFailures"')
    return json.loads(stdout[start:])  # type: ignore[no-any-return]


def quiet(result: subprocess.CompletedProcess[str]) -> str:
    """The whole output, with no warning of the AWS SDK and no JavaScript stack in it."""
    output = result.stdout + result.stderr
    assert "Warning" not in output and "will require node" not in output, output
    assert not JS_STACK.search(output), output
    return output


def test_mixed_batch_through_sls_invoke_local() -> None:
    result = invoke_local("events/mixed-batch.json")
    assert result.returncode == 0, result.stderr
    for title in ["Call Summary", "Insights Summary", "Agent Reported Issue", "Headset Summary"]:
        assert f"Event Type: {title}\n" in result.stdout
    expected = (ROOT / "tests" / "expected" / "CallSummary.txt").read_text(encoding="utf-8")
    assert expected in result.stdout
    records = json.loads((EVENTS / "mixed-batch.json").read_text())["Records"]
    assert result.stdout.count("Operata Event Received") == len(records)
    assert response_of(result.stdout) == {"batchItemFailures": []}


def test_bad_records_through_sls_invoke_local() -> None:
    result = invoke_local("events/bad-records.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\nREJECTED seq=") == 6
    assert result.stdout.count("\nSKIPPED seq=") == 1
    assert response_of(result.stdout) == {"batchItemFailures": []}


def lines_of(stdout: str) -> list[str]:
    """The function's lines, blank lines, request id and timestamps left out."""
    cut = r"request_id=\S+|\"Timestamp\": \d+"
    return [re.sub(cut, "", line) for line in stdout.splitlines() if line.strip()]


def test_no_stage_runs_the_local_settings_without_aws() -> None:
    with_stage = invoke_local("events/bad-records.json")
    result = invoke_local("events/bad-records.json", stage=None)
    assert result.returncode == 0, result.stdout + result.stderr
    quiet(result)
    assert lines_of(result.stdout) == lines_of(with_stage.stdout)
    assert "REJECTED seq=" in result.stdout


@pytest.mark.parametrize("stage", DEPLOYED_STAGES)
def test_a_deployed_stage_keeps_rejected_records_local_and_says_so(
    stage: str, quarantine_dir: Path
) -> None:
    result = invoke_local("events/bad-records.json", stage=stage)
    output = quiet(result)
    assert result.returncode == 0, output
    notices = [line for line in output.splitlines() if line.startswith("invoke local:")]
    for what, param in [
        ("rejected records", "quarantineBucket"),
        ("archive rows", "archiveStream"),
    ]:
        (notice,) = [line for line in notices if line.startswith(f"invoke local: {what} ")]
        assert f'{what} stay local, not in stage "{stage}"\'s resources' in notice
        assert f"--param={param}=NAME" in notice
    kept = [json.loads(line) for line in result.stdout.splitlines() if '"keptAt"' in line]
    assert len(kept) == 6  # a deployed stage logs JSON lines
    assert all(Path(line["keptAt"]).is_relative_to(quarantine_dir) for line in kept)
    assert response_of(result.stdout) == {"batchItemFailures": []}


def test_a_bucket_named_by_param_is_written_and_said(aws_endpoint: str) -> None:
    bucket = "a-bucket-chosen-by-hand"
    boto3.client("s3").create_bucket(Bucket=bucket)
    result = invoke_local(
        "events/bad-records.json",
        f"--param=quarantineBucket={bucket}",
        stage=DEPLOYED_STAGES[0],
        **DUMMY_CREDENTIALS,
        AWS_ENDPOINT_URL=aws_endpoint,
    )
    output = quiet(result)
    assert result.returncode == 0, output
    assert f"invoke local: rejected records are written to s3://{bucket}" in output
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 6


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("input.txt", "this is not JSON {", "text, not JSON"),
        ("input.json", '{"Records": [', "input.json is not JSON ("),
        ("input.json", "{}", "without a Records list"),
        ("input.json", '{"records": []}', '"records" where Lambda writes "Records"'),
        ("input.json", '{"Records": [{"body": "{}"}]}', "no record of the event holds a kinesis"),
    ],
)
def test_a_file_that_is_not_a_kinesis_event_is_one_setup_error(
    tmp_path: Path, name: str, content: str, named: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = invoke_local(str(path), stage=None)
    output = quiet(result)
    assert result.returncode != 0
    (line,) = [x for x in output.splitlines() if x.startswith("setup error: ")]
    assert named in line
    assert "Processing" not in output


@pytest.mark.parametrize(
    ("param", "line"),
    [
        ("logFormt=json", "--param logFormt: no such stage parameter"),
        ("logFormat=jsn", "logFormat=jsn is not allowed: expected one of json, text"),
    ],
)
def test_unknown_or_invalid_parameters_are_refused(param: str, line: str) -> None:
    result = invoke_local("events/CallSummary.json", f"--param={param}", stage=None)
    output = quiet(result)
    assert result.returncode != 0
    assert line in output
    assert "Processing" not in output
