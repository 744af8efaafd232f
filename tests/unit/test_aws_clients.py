"""One AWS client helper (operata_lambda.aws) for the function's sinks and for the tools."""

from __future__ import annotations

import pytest

from operata import aws as tools_aws
from operata_lambda import aws
from operata_lambda.sinks.quarantine import S3Quarantine


@pytest.fixture(autouse=True)
def _local_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")


def patience_of(client: object) -> aws.Patience:
    config = client.meta.config  # type: ignore[attr-defined]
    return aws.Patience(
        connect_s=config.connect_timeout,
        read_s=config.read_timeout,
        attempts=config.retries["total_max_attempts"],
    )


def test_the_quarantine_and_the_tools_get_their_clients_from_the_one_helper() -> None:
    quarantine = S3Quarantine("a-bucket").client
    assert patience_of(quarantine) == aws.FUNCTION
    assert quarantine.meta.endpoint_url == "http://127.0.0.1:9"  # as boto3 finds it
    tool = tools_aws.client("kinesis", "http://127.0.0.1:8", "ap-southeast-2")
    assert patience_of(tool) == aws.TOOLS
    assert tool.meta.endpoint_url == "http://127.0.0.1:8"
    assert tool.meta.region_name == "ap-southeast-2"


def test_a_tool_without_a_region_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(tools_aws.ToolError, match="--region"):
        tools_aws.client("kinesis")
