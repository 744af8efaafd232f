"""`sls deploy` of a whole stage to a local AWS API (moto server), read back with boto3.

The stack is packaged, deployed with the Serverless CLI, inspected, then removed with
`sls remove`. moto's CloudFormation creates the function, the stream, the event source mapping
(with its S3 on-failure destination), the bucket, the EventBridge rule with its target and role,
the IAM role, the log group and the dashboard. It does not implement some resource types and
properties; for those (MOTO_GAPS below) the test checks the template the stack was deployed
from, read back from moto's CloudFormation, and sends the alarms' definitions to moto's
CloudWatch API to prove they are well formed. That is said in each place; nothing is
asserted that moto did not do.

moto looks event buses up by the last '/'-separated part of their name, so a partner bus name
(aws.partner/operata.com/...) cannot be found there; the test forwards from a custom bus of its
own instead. The rule, pattern, target and role are the same.

The stage deployed, `ci`, is not under `params`: it gets the defaults, and says so. The `local`
stage is refused before anything is created.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from operata.cli import main
from operata.stack import OUTPUTS as STACK_OUTPUTS
from tests.localaws import DUMMY_CREDENTIALS, REGION
from tests.packaging import (
    SERVICE,
    defaults_listed,
    run_sls,
    service_copy,
    sls,
    sls_env,
    stage_params,
)

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
    "AWS::Logs::QueryDefinition": "the whole resource (moto has no saved queries at all)",
    "AWS::KinesisFirehose::DeliveryStream": "the whole resource (test_archive_firehose.py "
    "creates one through the API; test_archive_stack.py checks the template)",
    "AWS::Glue::Database": "the whole resource",
    "AWS::Glue::Table": "the whole resource",
    "AWS::Athena::WorkGroup": "the whole resource",
    "AWS::Athena::NamedQuery": "the whole resource",
    "Outputs": "computed on create_stack and update_stack, not when a change set (as osls "
    "deploys) is executed",
}
MAPPING = "ProcessEventsEventSourceMappingKinesis"
OUTPUTS = {"StreamArn", "StreamName", "FailureBucketName", "FunctionName", "DashboardName"}
assert set(STACK_OUTPUTS) == OUTPUTS


@dataclass
class Deployed:
    endpoint: str
    template: dict[str, Any]
    physical: dict[str, str]  # logical id -> physical id
    topic_arn: str
    zip_path: Path
    deploy_output: str  # what `sls deploy` printed
    sls_args: list[str]
    sls_env: dict[str, str]
    service: Path

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
    proc = sls("deploy", *args, "--package", str(package), env=env, cwd=service, timeout=900)
    deploy_output = proc.stdout + proc.stderr
    assert proc.returncode == 0, deploy_output

    cloudformation = boto3.client("cloudformation", endpoint_url=aws_endpoint, region_name=REGION)
    body = cloudformation.get_template(StackName=STACK)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else json.loads(json.dumps(body))
    summaries = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    physical = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    zip_path = package / f"{SERVICE}.zip"
    yield Deployed(
        aws_endpoint, template, physical, topic_arn, zip_path, deploy_output, args, env, service
    )

    # test_sls_remove_points_to_make_remove removes the stack; when it did not run, do it here.
    stacks = cloudformation.list_stacks()["StackSummaries"]
    if {s["StackStatus"] for s in stacks if s["StackName"] == STACK} - {"DELETE_COMPLETE"}:
        run_sls("remove", *args, env=env, cwd=service, timeout=900)


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
        "ARCHIVE": "true",
        "ARCHIVE_STREAM": f"{SERVICE}-{STAGE}-archive",
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
    assert mapping["MetricsConfig"] == {"Metrics": ["EventCount"]}  # on-failure-records alarm
    assert mapping["UUID"] == deployed.physical[MAPPING]


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


def test_archive_bucket(deployed: Deployed) -> None:
    """The archive's bucket is created (the stream, table and workgroup are not: MOTO_GAPS)."""
    bucket = deployed.physical["ArchiveBucket"]
    encryption = deployed.client("s3").get_bucket_encryption(Bucket=bucket)
    (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert deployed.template["Resources"]["ArchiveBucket"]["DeletionPolicy"] == "Retain"


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
                elif service == "firehose":
                    assert action == "firehose:PutRecordBatch"
                    assert resource.endswith(f":deliverystream/{SERVICE}-{STAGE}-archive")
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
    if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        return re.sub(r"\$\{(\w+)\}", lambda m: d.physical[m.group(1)], node["Fn::Sub"])
    return {k: _resolve(v, d, conditions) for k, v in node.items() if v != {"Ref": "AWS::NoValue"}}


def test_alarms_are_well_formed_and_notify_the_topic(deployed: Deployed) -> None:
    # moto's CloudFormation skips AWS::CloudWatch::Alarm (MOTO_GAPS). Send each alarm of the
    # deployed template, resolved against the deployed stack, to the CloudWatch API instead:
    # botocore validates every field against the API model, and the alarm must read back.
    cloudwatch = deployed.client("cloudwatch")
    conditions = {"NotifyAlarmTopic": True, "QualityAlarms": True, "Archive": True}  # defaults
    alarms = {
        logical_id: resource["Properties"]
        for logical_id, resource in deployed.template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and conditions.get(resource.get("Condition", ""), True)
    }
    assert set(alarms) == {
        "ErrorRateAlarm",
        "DurationAlarm",
        "IteratorAgeAlarm",
        "OnFailureRecordsAlarm",
        "DestinationDeliveryFailuresAlarm",
        "SchemaDriftAlarm",
        "RecordsRejectedAlarm",
        "CallIssuesAlarm",
        "MosAlarm",
        "ArchiveDeliveryAlarm",
    }
    names = {}
    for logical_id, properties in alarms.items():
        resolved = _resolve(properties, deployed, conditions)
        cloudwatch.put_metric_alarm(**resolved)
        names[resolved["AlarmName"]] = logical_id
    described = {
        names[a["AlarmName"]]: a
        for a in cloudwatch.describe_alarms(AlarmNamePrefix=f"{STACK}-")["MetricAlarms"]
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
        "EventSourceMappingUUID": deployed.physical[MAPPING],
    }
    bucket = deployed.physical["FailureBucket"]
    rejected = described["RecordsRejectedAlarm"]["AlarmDescription"]
    assert f"python -m operata redrive --bucket {bucket} --dry-run" in rejected
    drift = described["SchemaDriftAlarm"]
    assert (drift["Namespace"], drift["MetricName"]) == (
        "Operata/EventProcessor",
        "SchemaDriftFields",
    )
    assert {d["Name"]: d["Value"] for d in drift["Dimensions"]} == {
        "Service": SERVICE,
        "Stage": STAGE,
    }
    cloudwatch.delete_alarms(AlarmNames=[a["AlarmName"] for a in described.values()])


def test_dashboard(deployed: Deployed) -> None:
    name = f"{SERVICE}-{STAGE}"
    assert deployed.physical["Dashboard"] == name
    body = json.loads(
        deployed.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"]
    )
    widgets = body["widgets"]
    rows = [
        r[:-1] if isinstance(r[-1], dict) else r
        for w in widgets
        if w["type"] == "metric"
        for r in w["properties"]["metrics"]
        if not isinstance(r[0], dict)
    ]
    lambda_dims = {tuple(r[2:]) for r in rows if r[0] == "AWS/Lambda"}
    assert lambda_dims == {
        ("FunctionName", FUNCTION_NAME),
        ("EventSourceMappingUUID", deployed.physical[MAPPING]),
    }
    own = {tuple(r[2:]) for r in rows if r[0] == "Operata/EventProcessor"}
    assert own == {("Service", SERVICE, "Stage", STAGE)}
    log_group = f"/aws/lambda/{FUNCTION_NAME}"
    queries = [w["properties"]["query"] for w in widgets if w["type"] == "log"]
    assert queries and all(q.startswith(f"SOURCE '{log_group}' | ") for q in queries)
    (strip,) = [w for w in widgets if w["type"] == "alarm"]
    region, account = REGION, _function(deployed)["FunctionArn"].split(":")[4]
    prefix = f"arn:aws:cloudwatch:{region}:{account}:alarm:{STACK}-"
    assert strip["properties"]["alarms"] and all(
        a.startswith(prefix) for a in strip["properties"]["alarms"]
    )
    # the quality and archive alarms are on (ci: the defaults)
    assert len(strip["properties"]["alarms"]) == 10
    firehose_dims = {tuple(r[2:]) for r in rows if r[0] == "AWS/Firehose"}
    assert firehose_dims == {("DeliveryStreamName", f"{SERVICE}-{STAGE}-archive")}


def test_saved_queries_in_the_template(deployed: Deployed) -> None:
    # moto has no saved queries (MOTO_GAPS): the deployed template must hold them, on the log
    # group moto did create.
    resources = deployed.template["Resources"]
    queries = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::Logs::QueryDefinition"
    ]
    assert len(queries) == 4
    for query in queries:
        assert query["Name"].startswith(f"{STACK}/")
        assert query["LogGroupNames"] == [{"Ref": "ProcessEventsLogGroup"}]
    assert deployed.physical["ProcessEventsLogGroup"] == f"/aws/lambda/{FUNCTION_NAME}"


def test_outputs_command_reads_them_from_the_resources_when_moto_has_none(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    (stack,) = deployed.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    assert not stack.get("Outputs")  # MOTO_GAPS: the change set computed none
    assert main(["outputs", "--stage", STAGE, "--endpoint-url", deployed.endpoint]) == 0
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert set(printed) == OUTPUTS
    assert printed["StreamArn"] == _stream_arn(deployed)
    for key, logical in STACK_OUTPUTS.items():
        if key != "StreamArn":
            assert printed[key] == deployed.physical[logical], key


def test_outputs_are_what_sls_info_shows(deployed: Deployed) -> None:
    cloudformation = deployed.client("cloudformation")
    # moto computes a stack's outputs on create_stack and update_stack only, not when it
    # executes the change set osls deploys with (MOTO_GAPS): update the stack with its own
    # template, unchanged, so that moto computes them; then ask osls for them.
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    cloudformation.update_stack(
        StackName=STACK,
        TemplateBody=json.dumps(deployed.template),
        Capabilities=stack.get("Capabilities", []),
    )
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert set(outputs) >= OUTPUTS
    assert outputs["StreamArn"] == _stream_arn(deployed)
    assert outputs["StreamName"] == deployed.physical["EventStream"]
    assert outputs["FailureBucketName"] == deployed.physical["FailureBucket"]
    assert outputs["FunctionName"] == FUNCTION_NAME
    assert outputs["DashboardName"] == f"{SERVICE}-{STAGE}"
    info = run_sls(
        "info", *deployed.sls_args, "--verbose", env=deployed.sls_env, cwd=deployed.service
    )
    for key in OUTPUTS:
        assert f"{key}: {outputs[key]}" in info, key


def test_defaults_are_named_when_deploying(deployed: Deployed) -> None:
    line, listed = defaults_listed(deployed.deploy_output)
    assert f'(stage "{STAGE}" is not under params)' in line
    assert listed["batchSize"] == str(stage_params(STAGE)["batchSize"])
    # --param values are not defaults
    assert "partnerEventBusName" not in listed and "alarmTopicArn" not in listed


def test_local_stage_is_refused_before_anything_is_created(
    aws_endpoint: str, deployed: Deployed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = sls_env(**DUMMY_CREDENTIALS, AWS_ENDPOINT_URL=aws_endpoint)
    service = service_copy(tmp_path_factory.mktemp("deploy-local"))
    proc = sls("deploy", "--stage", "local", env=env, cwd=service, timeout=300)
    assert proc.returncode != 0
    lines = (proc.stdout + proc.stderr).splitlines()
    (line,) = [x for x in lines if "sls invoke local only" in x]
    assert line.startswith('Stage "local" (the default) is for sls invoke local only')
    stacks = deployed.client("cloudformation").list_stacks()["StackSummaries"]
    assert not [s for s in stacks if s["StackName"] == f"{SERVICE}-local"]
    assert not (service / ".serverless").exists()


def test_deployed_code_is_the_packaged_zip(deployed: Deployed) -> None:
    assert _function(deployed)["CodeSize"] == deployed.zip_path.stat().st_size


# --- removing the stage (last: the stack is gone afterwards) ----------------------------------


def test_remove_check_says_what_would_be_lost_and_empties_only_when_asked(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = deployed.client("s3")
    bucket = deployed.physical["FailureBucket"]
    prefix = stage_params(STAGE)["quarantinePrefix"]
    keys = [
        f"{prefix}not_json/2023/06/01/shard/1.json",
        f"{prefix}not_json/2023/06/01/shard/2.json",
    ]
    keys += ["aws/lambda/mapping/shard/2023/06/01/batch.json", "redriven/x.json"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    check = ["remove-check", "--stage", STAGE, "--endpoint-url", deployed.endpoint]

    assert main(check) == 1
    out, err = capsys.readouterr()
    (line,) = [x for x in out.splitlines() if bucket in x]
    assert f"records set aside, not replayed yet ({prefix}): 2" in line
    assert "batches the event source mapping gave up on (not replayed yet) (aws/lambda/): 1" in line
    assert "records already replayed (redriven/): 1" in line
    assert line.endswith("lost when the stack is removed")
    (error,) = err.splitlines()
    assert f"make remove STAGE={STAGE} EMPTY_BUCKETS=yes" in error
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == len(keys)  # nothing deleted

    assert main([*check, "--empty-buckets"]) == 0
    assert f"{bucket}: emptied" in capsys.readouterr().out
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_remove_check_never_empties_a_retained_bucket(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    stage = "retained"
    template = {"Resources": {"Kept": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}}}
    cloudformation = deployed.client("cloudformation")
    cloudformation.create_stack(StackName=f"{SERVICE}-{stage}", TemplateBody=json.dumps(template))
    (kept,) = [
        r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=f"{SERVICE}-{stage}")[
            "StackResourceSummaries"
        ]
    ]
    deployed.client("s3").put_object(Bucket=kept, Key="quarantine/a.json", Body=b"{}")
    argv = ["remove-check", "--stage", stage, "--endpoint-url", deployed.endpoint]
    assert main([*argv, "--empty-buckets"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"Kept {kept}: kept after the stack is removed (Retain)")
    assert deployed.client("s3").list_objects_v2(Bucket=kept)["KeyCount"] == 1


def test_sls_remove_points_to_make_remove(deployed: Deployed) -> None:
    proc = sls(
        "remove", *deployed.sls_args, env=deployed.sls_env, cwd=deployed.service, timeout=600
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    (line,) = [x for x in output.splitlines() if x.startswith("sls remove:")]
    assert f"make remove STAGE={STAGE}" in line
    stacks = deployed.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"] == STACK)
