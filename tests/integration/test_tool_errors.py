"""The tools end what goes wrong around them in one line and a non-zero exit, never a traceback:
no such stream or bucket, an endpoint that does not answer, no region, a file that is not an
event. Against a moto server on loopback (tests/localaws.py); a closed loopback port stands for
an endpoint that does not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from operata.cli import parser
from tests.helpers import EVENTS, ROOT, SOURCES
from tests.localaws import free_port, reset

pytestmark = pytest.mark.e2e

AWS_TOOLS = ["publish", "consume", "redrive"]


def tool(*argv: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return subprocess.run(
        [sys.executable, "-m", "operata", *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    return line


@pytest.fixture
def endpoint(aws_endpoint: str) -> str:
    reset(aws_endpoint)
    return aws_endpoint


# --- no such stream, no such bucket ---------------------------------------------------------


def test_consume_names_a_stream_that_does_not_exist(endpoint: str) -> None:
    line = one_line(tool("consume", "--stream", "no-such-stream", "--drain"))
    assert "stream no-such-stream not found in us-east-1" in line
    assert endpoint in line and "--stream" in line and "sls info" in line


def test_publish_names_a_stream_that_does_not_exist(endpoint: str) -> None:
    files = [str(SOURCES / "CallSummary.json"), str(SOURCES / "HeadsetSummary.json")]
    result = tool("publish", "--stream", "no-such-stream", *files)
    assert "stream no-such-stream not found" in one_line(result)
    assert result.stdout == ""  # stopped at the first file, not once per file


def test_redrive_names_a_bucket_that_does_not_exist(endpoint: str) -> None:
    line = one_line(tool("redrive", "--bucket", "no-such-bucket", "--dry-run"))
    assert "bucket no-such-bucket does not exist" in line
    assert "--bucket" in line and "sls info" in line


def test_region_is_where_the_tools_look(endpoint: str) -> None:
    boto3.client("kinesis", region_name="eu-west-1").create_stream(
        StreamName="regional", ShardCount=1
    )
    line = one_line(tool("consume", "--stream", "regional", "--drain"))  # us-east-1 from env
    assert "not found in us-east-1" in line
    put = tool(
        "publish",
        "--stream",
        "regional",
        "--region",
        "eu-west-1",
        str(SOURCES / "HeadsetSummary.json"),
    )
    assert put.returncode == 0, put.stderr
    read = tool("consume", "--stream", "regional", "--region", "eu-west-1", "--drain")
    assert read.returncode == 0, read.stderr
    assert "Event Type: Headset Summary" in read.stdout
    assert "1 records" in read.stdout


# --- an endpoint that does not answer, no region ----------------------------------------------

AWS_TOOL_CALLS = [
    ["publish", "--stream", "s", str(SOURCES / "CallSummary.json")],
    ["consume", "--stream", "s", "--drain"],
    ["redrive", "--bucket", "b", "--dry-run"],
]


@pytest.mark.parametrize("argv", AWS_TOOL_CALLS, ids=AWS_TOOLS)
def test_an_endpoint_that_does_not_answer_is_named(argv: list[str], aws_endpoint: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    line = one_line(tool(*argv, "--endpoint-url", closed))
    assert f"cannot reach {closed}" in line and "--endpoint-url" in line


@pytest.mark.parametrize("argv", AWS_TOOL_CALLS, ids=AWS_TOOLS)
def test_no_region_is_said_with_the_fix(argv: list[str], tmp_path: Path, aws_endpoint: str) -> None:
    line = one_line(
        tool(
            *argv,
            AWS_DEFAULT_REGION=None,
            AWS_REGION=None,
            AWS_PROFILE=None,
            AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        )
    )
    assert "no AWS region configured" in line and "--region" in line


# --- kinesis-event ----------------------------------------------------------------------------


def test_kinesis_event_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    broken = tmp_path / "notes.txt"
    broken.write_text("call went badly {")
    line = one_line(tool("kinesis-event", str(SOURCES / "CallSummary.json"), str(broken)))
    assert str(broken) in line and "not JSON at line 1, column" in line and "--raw" in line
    raw = tool("kinesis-event", "--raw", str(broken))
    assert raw.returncode == 0, raw.stderr
    assert len(json.loads(raw.stdout)["Records"]) == 1


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"hello": "world"}', "not an EventBridge event"),
        ((EVENTS / "CallSummary.json").read_text(), "already a Lambda Kinesis event"),
    ],
    ids=["other-json", "kinesis-event"],
)
def test_kinesis_event_refuses_what_is_not_an_eventbridge_event(
    tmp_path: Path, content: str, why: str
) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    line = one_line(tool("kinesis-event", str(path)))
    assert str(path) in line and why in line


# --- the command line itself ------------------------------------------------------------------


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found |= {f"{name} {k}": v for k, v in _subparsers(sub).items()}
    return found


def test_every_argument_has_a_help_text_and_aws_tools_take_a_region() -> None:
    commands = _subparsers(parser())
    for name, sub in commands.items():
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            assert action.help, f"{name}: {action.dest} has no help text"
    for name in AWS_TOOLS:
        options = {o for a in commands[name]._actions for o in a.option_strings}
        assert {"--region", "--endpoint-url"} <= options, name


def test_log_format_json_make_demo_is_honoured() -> None:
    environment = {**os.environ, "LOG_FORMAT": "json", "SLS_TELEMETRY_DISABLED": "1"}
    environment.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "-o",
            "node_modules/.installed",
            "demo",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    documents = [json.loads(line) for line in lines if line.startswith('{"')]  # one a line
    processed = [d for d in documents if d.get("outcome") == "processed"]
    records = json.loads((EVENTS / "mixed-batch.json").read_text())["Records"]
    assert len(processed) == len(records)
    assert "Operata Event Received" not in result.stdout


# --- options checked when the command line is read ------------------------------------------


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["redrive", "--local", "--reason", "bogus"], "argument --reason: invalid choice: 'bogus'"),
        (["redrive", "--local", "--date", "01/06/2023"], "argument --date: '01/06/2023'"),
        (["redrive"], "one of the arguments --bucket --local is required"),
        (["consume", "--stream", "s", "--timeout", "-5"], "argument --timeout: '-5'"),
        (["consume", "--stream", "s", "--timeout", "0"], "argument --timeout: '0'"),
        (["consume", "--stream", "s", "--timeout", "nan"], "argument --timeout: 'nan'"),
        (["consume", "--stream", "s", "--max-retries", "-1"], "argument --max-retries: '-1'"),
        (["consume", "--stream", "s", "--batch-size", "0"], "argument --batch-size: '0'"),
        (["consume", "--stream", "s", "--from", "NOW"], "argument --from: invalid choice: 'NOW'"),
    ],
)
def test_an_invalid_option_is_one_line_and_exit_2(argv: list[str], named: str) -> None:
    result = tool(*argv)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"python -m operata {argv[0]}: error: {named}"), line
    assert line.endswith(f"(see python -m operata {argv[0]} --help)")
    assert result.stdout == ""


def test_a_reader_that_goes_away_is_no_traceback() -> None:
    """`python -m operata query --list | head -1`: the pipe closes before the output ends."""
    reader, writer = os.pipe()
    os.close(reader)  # nothing will read: the first write fails with a broken pipe
    with os.fdopen(writer, "w") as closed_pipe:
        result = subprocess.run(
            [sys.executable, "-m", "operata", "query", "--list"],
            cwd=ROOT,
            stdout=closed_pipe,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode != 0
