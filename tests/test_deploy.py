"""`sls deploy` of a whole stage to a local AWS API (moto server), read back with boto3.

The stack is packaged, deployed with the Serverless CLI, inspected, then removed with
`sls remove`. moto's CloudFormation creates the function, the stream, the event source mapping
(with its S3 on-failure destination), the bucket, the EventBridge rule with its target and role,
the IAM role and the log group. It does not implement some resource types and properties; for
those (MOTO_GAPS below) the test checks the template the stack was deployed from, read back from
moto's CloudFormation, and sends the alarms' definitions to moto's CloudWatch API to prove they
are well formed. That is said in each place; nothing is asserted that moto did not do.

moto looks event buses up by the last '/'-separated part of their name, so a partner bus name
(aws.partner/operata.com/...) cannot be found there; the test forwards from a custom bus of its
own instead. The rule, pattern, target and role are the same.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.localaws import DUMMY_CREDENTIALS, REGION
from tests.packaging import SERVICE, run_sls, service_copy, sls_env

pytestmark = pytest.mark.deploy

STAGE = "ci"
BUS = "operata-ci"
FUNCTION_NAME = f"{SERVICE}-{STAGE}-processEvents"
STACK = f"{SERVICE}-{STAGE}"

# What moto's CloudFormation (5.x) accepts but does not apply; checked in the template instead.
MOTO_GAPS = {
    "AWS::Kinesis::Stream": "StreamEncryption",
    "AWS::S3::Bucket": "PublicAccessBlockConfiguration, VersioningConfiguration, "
    "LifecycleConfiguration, MetricsConfigurations",
    "AWS::S3::BucketPolicy": "the whole resource",
    "AWS::CloudWatch::Alarm": "the whole resource",
}


@dataclass
class Deployed:
    endpoint: str
    template: dict[str, Any]
    physical: dict[str, str]  # logical id -> physical id
    topic_arn: str
    zip_path: Path

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)


@pytest.fixture(scope="module")
def deployed(aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    events = boto3.client("events", endpoint_url=aws_endpoint, region_name=REGION)
    events.create_event_bus(Name=BUS)
    sns = boto3.client("sns", endpoint_url=aws_endpoint, region_name=REGION)
    topic_arn = sns.create_topic(Name="operata-alarms")["TopicArn"]

    env = sls_env(**DUMMY_CREDENTIALS, AWS_ENDPOINT_URL=aws_endpoint)
    args = ["--stage", STAGE, f"--param=partnerEventBusName={BUS}"]
    args.append(f"--param=alarmTopicArn={topic_arn}")
    service = service_copy(tmp_path_factory.mktemp("deploy-service"))
    package = tmp_path_factory.mktemp("deploy-package")
    run_sls("package", *args, "--package", str(package), env=env, cwd=service)
    run_sls("deploy", *args, "--package", str(package), env=env, cwd=service, timeout=900)

    cloudformation = boto3.client("cloudformation", endpoint_url=aws_endpoint, region_name=REGION)
    body = cloudformation.get_template(StackName=STACK)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else json.loads(json.dumps(body))
    summaries = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    physical = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    yield Deployed(aws_endpoint, template, physical, topic_arn, package / f"{SERVICE}.zip")

    run_sls("remove", *args, env=env, cwd=service, timeout=900)
    stacks = cloudformation.list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == STACK} <= {"DELETE_COMPLETE"}


def _role_policy(d: Deployed, role_name: str) -> dict[str, Any]:
    iam = d.client("iam")
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        # moto keeps an inline policy created through CloudFormation as the Python repr of
        # the parsed document, not as JSON; read it either way.
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            document = ast.literal_eval(document)
    return document  # type: ignore[no-any-return]


def _function(d: Deployed) -> dict[str, Any]:
    return d.client("lambda").get_function_configuration(FunctionName=FUNCTION_NAME)  # type: ignore[no-any-return]


def _stream_arn(d: Deployed) -> str:
    name = d.physical["EventStream"]
    summary = d.client("kinesis").describe_stream_summary(StreamName=name)
    return summary["StreamDescriptionSummary"]["StreamARN"]  # type: ignore[no-any-return]


def test_function(deployed: Deployed) -> None:
    fn = _function(deployed)
    assert fn["Runtime"] == "python3.12"
    assert fn["Architectures"] == ["x86_64"]
    assert fn["Handler"] == "handler.handler"
    assert (fn["MemorySize"], fn["Timeout"]) == (256, 60)
    assert fn["Environment"]["Variables"] == {
        "STAGE": STAGE,
        "SERVICE_NAME": SERVICE,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "REDACT_PII": "true",
        "QUARANTINE_BUCKET": deployed.physical["FailureBucket"],
        "QUARANTINE_PREFIX": "quarantine/",
        "METRICS_NAMESPACE": "Operata/EventProcessor",
        "DEADLINE_MARGIN_MS": "12000",
    }
    groups = deployed.client("logs").describe_log_groups(
        logGroupNamePrefix=f"/aws/lambda/{FUNCTION_NAME}"
    )["logGroups"]
    assert [g.get("retentionInDays") for g in groups] == [14]


def test_event_source_mapping(deployed: Deployed) -> None:
    fn = _function(deployed)
    (mapping,) = deployed.client("lambda").list_event_source_mappings(
        FunctionName=fn["FunctionArn"]
    )["EventSourceMappings"]
    assert mapping["EventSourceArn"] == _stream_arn(deployed)
    assert mapping["BatchSize"] == 100
    assert mapping["MaximumBatchingWindowInSeconds"] == 1
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["MaximumRecordAgeInSeconds"] == 3600
    bucket_arn = f"arn:aws:s3:::{deployed.physical['FailureBucket']}"
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": bucket_arn}}


def test_stream(deployed: Deployed) -> None:
    name = deployed.physical["EventStream"]
    summary = deployed.client("kinesis").describe_stream_summary(StreamName=name)
    summary = summary["StreamDescriptionSummary"]
    assert (summary["OpenShardCount"], summary["RetentionPeriodHours"]) == (1, 24)
    # moto does not apply StreamEncryption (MOTO_GAPS): the deployed template must carry it.
    stream = deployed.template["Resources"]["EventStream"]["Properties"]
    assert stream["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}


def test_bucket(deployed: Deployed) -> None:
    s3 = deployed.client("s3")
    bucket = deployed.physical["FailureBucket"]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    (rule,) = encryption["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # moto ignores these bucket properties and the bucket policy (MOTO_GAPS): template only.
    resources = deployed.template["Resources"]
    props = resources["FailureBucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["VersioningConfiguration"] == {"Status": "Suspended"}
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30
    assert resources["FailureBucketPolicy"]["Type"] == "AWS::S3::BucketPolicy"


def test_function_role(deployed: Deployed) -> None:
    role_name = _function(deployed)["Role"].rsplit("/", 1)[-1]
    bucket_arn = f"arn:aws:s3:::{deployed.physical['FailureBucket']}"
    stream_arn = _stream_arn(deployed)
    document = _role_policy(deployed, role_name)
    for statement in document["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        assert statement["Effect"] == "Allow"
        for action in actions:
            assert "*" not in action
            service = action.split(":")[0]
            for resource in resources:
                if service == "kinesis":
                    assert resource == stream_arn
                elif service == "s3":
                    assert resource in {
                        bucket_arn,
                        f"{bucket_arn}/quarantine/*",
                        f"{bucket_arn}/aws/lambda/*",
                    }
                else:
                    assert service == "logs"
                    assert f":log-group:/aws/lambda/{SERVICE}-{STAGE}" in resource


def test_partner_bus_rule(deployed: Deployed) -> None:
    events = deployed.client("events")
    (rule,) = events.list_rules(EventBusName=BUS)["Rules"]
    assert json.loads(rule["EventPattern"]) == {"source": [{"prefix": "aws.partner/operata.com/"}]}
    (target,) = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=BUS)["Targets"]
    assert target["Arn"] == _stream_arn(deployed)
    assert target["KinesisParameters"] == {"PartitionKeyPath": "$.id"}
    role_name = target["RoleArn"].rsplit("/", 1)[-1]
    iam = deployed.client("iam")
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "events.amazonaws.com"}]
    policy = _role_policy(deployed, role_name)
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
            "Resource": _stream_arn(deployed),
        }
    ]


def _resolve(node: Any, d: Deployed, conditions: dict[str, bool]) -> Any:
    """Resolve the few intrinsics the alarms use, against the deployed stack."""
    if isinstance(node, list):
        return [_resolve(v, d, conditions) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        ref = node["Ref"]
        if ref == "AlarmTopicArn":
            return d.topic_arn
        return d.physical[ref]
    if set(node) == {"Fn::If"}:
        condition, when_true, when_false = node["Fn::If"]
        return _resolve(when_true if conditions[condition] else when_false, d, conditions)
    return {k: _resolve(v, d, conditions) for k, v in node.items() if v != {"Ref": "AWS::NoValue"}}


def test_alarms_are_well_formed_and_notify_the_topic(deployed: Deployed) -> None:
    # moto's CloudFormation skips AWS::CloudWatch::Alarm (MOTO_GAPS). Send each alarm of the
    # deployed template, resolved against the deployed stack, to the CloudWatch API instead:
    # botocore validates every field against the API model, and the alarm must read back.
    cloudwatch = deployed.client("cloudwatch")
    alarms = {
        logical_id: resource["Properties"]
        for logical_id, resource in deployed.template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert set(alarms) == {
        "ErrorRateAlarm",
        "DurationAlarm",
        "IteratorAgeAlarm",
        "OnFailureRecordsAlarm",
        "DestinationDeliveryFailuresAlarm",
    }
    for logical_id, properties in alarms.items():
        resolved = _resolve(properties, deployed, {"NotifyAlarmTopic": True})
        cloudwatch.put_metric_alarm(AlarmName=f"{STACK}-{logical_id}", **resolved)
    described = {
        a["AlarmName"].removeprefix(f"{STACK}-"): a
        for a in cloudwatch.describe_alarms(AlarmNamePrefix=STACK)["MetricAlarms"]
    }
    assert set(described) == set(alarms)
    for alarm in described.values():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [deployed.topic_arn]
    assert described["IteratorAgeAlarm"]["Threshold"] == 60000
    assert described["IteratorAgeAlarm"]["Dimensions"] == [
        {"Name": "FunctionName", "Value": FUNCTION_NAME}
    ]
    duration = {m["Id"]: m for m in described["DurationAlarm"]["Metrics"]}
    assert duration["percentOfTimeout"]["Expression"] == "100 * duration / (60 * 1000)"
    writes = described["OnFailureRecordsAlarm"]
    assert {d["Name"]: d["Value"] for d in writes["Dimensions"]} == {
        "BucketName": deployed.physical["FailureBucket"],
        "FilterId": "on-failure-records",
    }
    cloudwatch.delete_alarms(AlarmNames=[a["AlarmName"] for a in described.values()])


def test_deployed_code_is_the_packaged_zip(deployed: Deployed) -> None:
    assert _function(deployed)["CodeSize"] == deployed.zip_path.stat().st_size
