"""`python -m operata query NAME --stage S` on a moto server: the stack's outputs name the
workgroup and database, the file's text goes to Athena unchanged with its parameters as SQL
literals, and the answer is printed as the local table is.

moto's Athena runs no SQL: the answer it gives is set beforehand through moto's own API
(/moto-api/static/athena/query-results), so what is checked here is the tool's side.
"""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from contextlib import redirect_stdout

import boto3
import pytest

from operata import cli
from operata.queries import QUERIES_DIR, STACK

STAGE = "athena-test"
WORKGROUP = "operata-kinesis-processor-athena-test"
DATABASE = "operata_athena_test"


@pytest.fixture
def stack(aws_endpoint: str) -> Iterator[str]:
    """A stack with the archive's outputs (the outputs are all the tool reads), and its
    workgroup."""
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "ArchiveWorkgroup": {"Value": WORKGROUP},
            "ArchiveDatabase": {"Value": DATABASE},
        },
    }
    cloudformation = boto3.client("cloudformation", endpoint_url=aws_endpoint)
    name = STACK.format(stage=STAGE)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    boto3.client("athena", endpoint_url=aws_endpoint).create_work_group(Name=WORKGROUP)
    yield aws_endpoint
    cloudformation.delete_stack(StackName=name)


def answer_next_query(endpoint: str, rows: list[list[str]]) -> None:
    body = {
        "region": "us-east-1",
        "results": [
            {
                "rows": [{"Data": [{"VarCharValue": value} for value in row]} for row in rows],
                "column_info": [],
            }
        ],
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


def test_the_files_text_runs_on_the_stages_workgroup(stack: str) -> None:
    answer_next_query(
        stack, [["agent", "calls", "avg_mos"], ["ana", "3", "3.7"], ["ben", "4", "3.9"]]
    )
    out = io.StringIO()
    argv = ["query", "worst-agents-by-mos", "--stage", STAGE, "--since", "2024-03-01"]
    with redirect_stdout(out):
        status = cli.main([*argv, "--param", "min_calls=3", "--csv"])
    assert status == 0
    assert out.getvalue().splitlines() == ["agent,calls,avg_mos", "ana,3,3.7", "ben,4,3.9"]
    athena = boto3.client("athena", endpoint_url=stack)
    (execution_id,) = athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == (QUERIES_DIR / "worst-agents-by-mos.sql").read_text()
    assert execution["QueryExecutionContext"]["Database"] == DATABASE
    assert execution["ExecutionParameters"] == ["'2024-03-01'", "3"]


def test_a_stage_without_a_stack_is_one_line(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["query", "quality-by-queue", "--stage", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no stack operata-kinesis-processor-nowhere" in err and "sls deploy" in err
