"""`sls package` per stage: the CloudFormation it writes, and the zip it builds.

Three stages are packaged once each (session fixtures in tests/packaging.py), with different
parameters: `dev` as configured, `prod` with a partner event bus given on the command line, and
a personal stage that is not under `params` (all defaults). The templates are checked against
the stage parameters read from serverless.yml, and with cfn-lint; the zip is opened, checked
for what it must not hold, then unpacked and run with the Lambda runtime's Python version in
isolated mode, with nothing but the zip (and the SDK the runtime provides) on sys.path. No AWS
credentials are used: packaging must not need any. The dashboard, queries and quality alarms
are checked in test_monitoring.py; the stage guard in test_stage_guard.py.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from operata.project import function_timeout_s
from tests.packaging import (
    FUNCTION,
    MAPPING,
    PROD_BUS,
    ROOT,
    SAMPLES,
    SERVICE,
    SLS,
    VENV_BIN,
    Package,
    run_sls,
    stage_params,
)

pytestmark = pytest.mark.skipif(not SLS.exists(), reason="node_modules missing: run make install")


# --- the function -------------------------------------------------------------------------


def test_function_runtime_architecture_and_sizing(pkg: Package) -> None:
    fn = pkg.props(FUNCTION)
    assert fn["Handler"] == "handler.handler"
    assert fn["Runtime"] == "python3.12"
    assert fn["Architectures"] == ["x86_64"]
    assert fn["MemorySize"] == pkg.params["memorySize"]
    assert fn["Timeout"] == pkg.params["timeout"]
    # the local tools (consume's --timeout default) read the same value, not a copy of it
    assert fn["Timeout"] == function_timeout_s(pkg.stage)
    log_group = pkg.props("ProcessEventsLogGroup")
    assert log_group["RetentionInDays"] == pkg.params["logRetentionDays"]


def test_stages_differ_where_their_params_do(dev: Package, prod: Package) -> None:
    assert (dev.props(FUNCTION)["MemorySize"], prod.props(FUNCTION)["MemorySize"]) == (256, 512)
    assert dev.props(MAPPING)["BatchSize"] == 100
    assert prod.props(MAPPING)["BatchSize"] == 200
    assert dev.resources["FailureBucket"]["DeletionPolicy"] == "Delete"
    assert prod.resources["FailureBucket"]["DeletionPolicy"] == "Retain"


def test_environment(pkg: Package) -> None:
    env = pkg.props(FUNCTION)["Environment"]["Variables"]
    assert env == {
        "STAGE": pkg.stage,
        "SERVICE_NAME": SERVICE,
        "LOG_LEVEL": pkg.params["logLevel"],
        "LOG_FORMAT": "json",
        "REDACT_PII": "true",
        "QUARANTINE_BUCKET": {"Ref": "FailureBucket"},
        "QUARANTINE_PREFIX": "quarantine/",
        "METRICS_NAMESPACE": "Operata/EventProcessor",
        "DEADLINE_MARGIN_MS": "12000",
        "ARCHIVE": pkg.params["archive"],
        "ARCHIVE_STREAM": f"{SERVICE}-{pkg.stage}-archive",
    }
    assert all(isinstance(v, str) for k, v in env.items() if k != "QUARANTINE_BUCKET")


# --- the stream and how it is read ----------------------------------------------------------


def test_stream_created_and_encrypted_when_no_arn_is_given(pkg: Package) -> None:
    assert pkg.template["Parameters"]["StreamArn"]["Default"] == ""
    assert pkg.created("EventStream")
    stream = pkg.props("EventStream")
    assert stream["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}
    assert stream["ShardCount"] == pkg.params["streamShardCount"]
    assert stream["RetentionPeriodHours"] == pkg.params["streamRetentionHours"]


def test_event_source_mapping(pkg: Package) -> None:
    mapping = pkg.props(MAPPING)
    p = pkg.params
    assert mapping["BatchSize"] == p["batchSize"]
    assert mapping["MaximumBatchingWindowInSeconds"] == p["batchWindowSeconds"]
    assert mapping["StartingPosition"] == p["startingPosition"]
    assert mapping["ParallelizationFactor"] == p["parallelizationFactor"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 <= mapping["MaximumRetryAttempts"] == p["maximumRetryAttempts"] <= 10000
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] == p["maximumRecordAgeSeconds"]
    # Records are given up on before the stream would drop them.
    assert mapping["MaximumRecordAgeInSeconds"] < p["streamRetentionHours"] * 3600
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["FailureBucket", "Arn"]}}
    }
    source = json.dumps(mapping["EventSourceArn"])
    assert '"Ref": "StreamArn"' in source and '"EventStream", "Arn"' in source


def test_partner_bus_rule_only_when_a_bus_is_named(dev: Package, prod: Package) -> None:
    assert not dev.created("PartnerBusToStreamRule")
    assert not dev.created("PartnerBusToStreamRole")
    assert prod.created("PartnerBusToStreamRule") and prod.created("PartnerBusToStreamRole")
    assert prod.template["Parameters"]["PartnerEventBusName"]["Default"] == PROD_BUS
    rule = prod.props("PartnerBusToStreamRule")
    assert rule["EventBusName"] == {"Ref": "PartnerEventBusName"}
    assert rule["EventPattern"] == {"source": [{"prefix": "aws.partner/operata.com/"}]}
    (target,) = rule["Targets"]
    assert target["KinesisParameters"] == {"PartitionKeyPath": "$.id"}
    assert target["Arn"] == prod.template["Outputs"]["StreamArn"]["Value"]
    assert target["RoleArn"] == {"Fn::GetAtt": ["PartnerBusToStreamRole", "Arn"]}
    trust = prod.props("PartnerBusToStreamRole")["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "events.amazonaws.com"}]


# --- IAM --------------------------------------------------------------------------------------


def _statements(pkg: Package) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in pkg.resources.items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_wildcard_actions_or_resources(pkg: Package) -> None:
    statements = list(_statements(pkg))
    assert statements
    for role, statement in statements:
        assert statement["Effect"] == "Allow", (role, statement)
        for action in _as_list(statement["Action"]):
            assert "*" not in action, (role, statement)
        for resource in _as_list(statement["Resource"]):
            assert resource != "*", (role, statement)
    # The bucket policy's only statement is a Deny (TLS only): "*" there narrows, not widens.
    bucket_policy = pkg.props("FailureBucketPolicy")["PolicyDocument"]["Statement"]
    assert [s["Effect"] for s in bucket_policy] == ["Deny"]


def test_function_role_is_scoped_to_its_stream_bucket_and_log_group(pkg: Package) -> None:
    stream = json.dumps(pkg.template["Outputs"]["StreamArn"]["Value"])
    log_group = f"log-group:/aws/lambda/{SERVICE}-{pkg.stage}"
    granted: dict[str, set[str]] = {}
    for role, statement in _statements(pkg):
        if role != "IamRoleLambdaExecution":
            continue
        for action in _as_list(statement["Action"]):
            for resource in _as_list(statement["Resource"]):
                granted.setdefault(action, set()).add(json.dumps(resource))
    for action, resources in granted.items():
        service = action.split(":")[0]
        for resource in resources:
            if service == "kinesis":
                assert stream in resource, (action, resource)
            elif service == "s3":
                assert "FailureBucket" in resource, (action, resource)
            elif service == "firehose":  # the archive's delivery stream, and only it
                assert resource.endswith(f'deliverystream/{SERVICE}-{pkg.stage}-archive"}}')
            else:
                assert service == "logs" and log_group in resource, (action, resource)
    assert set(granted) == {
        "logs:CreateLogStream",
        "logs:CreateLogGroup",
        "logs:TagResource",
        "logs:PutLogEvents",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
        "kinesis:ListStreams",  # added by osls, scoped to the stream (so it grants nothing)
        "s3:PutObject",
        "s3:ListBucket",
        "firehose:PutRecordBatch",
    }
    puts = granted["s3:PutObject"]
    assert puts == {
        json.dumps({"Fn::Sub": "${FailureBucket.Arn}/quarantine/*"}),
        json.dumps({"Fn::Sub": "${FailureBucket.Arn}/aws/lambda/*"}),
    }


# --- the bucket -----------------------------------------------------------------------------


def test_bucket_is_private_encrypted_and_expires(pkg: Package) -> None:
    bucket = pkg.props("FailureBucket")
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"],
        True,
    )
    assert bucket["VersioningConfiguration"] == {"Status": pkg.params["bucketVersioning"]}
    (expire,) = bucket["LifecycleConfiguration"]["Rules"]
    assert expire["Status"] == "Enabled"
    assert expire["ExpirationInDays"] == pkg.params["bucketExpirationDays"]
    deny = pkg.props("FailureBucketPolicy")["PolicyDocument"]["Statement"][0]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- alarms ---------------------------------------------------------------------------------


def _alarm(pkg: Package, logical_id: str) -> dict[str, Any]:
    alarm = pkg.props(logical_id)
    assert pkg.resources[logical_id]["Type"] == "AWS::CloudWatch::Alarm"
    expected_actions = {
        "Fn::If": ["NotifyAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
    }
    assert alarm["AlarmActions"] == alarm["OKActions"] == expected_actions
    return alarm


def _metric(alarm: dict[str, Any], metric_id: str) -> dict[str, Any]:
    (query,) = [m for m in alarm["Metrics"] if m["Id"] == metric_id]
    return query  # type: ignore[no-any-return]


FUNCTION_DIMENSIONS = [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}]


def test_error_rate_alarm(pkg: Package) -> None:
    alarm = _alarm(pkg, "ErrorRateAlarm")
    assert alarm["Threshold"] == pkg.params["errorRateAlarmPercent"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    for metric_id, name in [("errors", "Errors"), ("invocations", "Invocations")]:
        stat = _metric(alarm, metric_id)["MetricStat"]
        assert stat["Metric"]["MetricName"] == name
        assert stat["Metric"]["Dimensions"] == FUNCTION_DIMENSIONS
        assert stat["Stat"] == "Sum"
    rate = _metric(alarm, "errorRate")
    assert rate["ReturnData"] is True
    assert "100 * errors / invocations" in rate["Expression"]


def test_duration_alarm_tracks_the_timeout(pkg: Package) -> None:
    alarm = _alarm(pkg, "DurationAlarm")
    assert alarm["Threshold"] == pkg.params["durationAlarmPercent"] == 80
    assert _metric(alarm, "duration")["MetricStat"]["Stat"] == "Maximum"
    expression = _metric(alarm, "percentOfTimeout")["Expression"]
    assert expression == f"100 * duration / ({pkg.props(FUNCTION)['Timeout']} * 1000)"


def test_iterator_age_alarm(pkg: Package) -> None:
    alarm = _alarm(pkg, "IteratorAgeAlarm")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/Lambda",
        "IteratorAge",
        "Maximum",
    )
    assert alarm["Dimensions"] == FUNCTION_DIMENSIONS
    assert alarm["Threshold"] == pkg.params["iteratorAgeAlarmMs"] == 60000


def test_on_failure_alarms_watch_the_destination(pkg: Package) -> None:
    writes = _alarm(pkg, "OnFailureRecordsAlarm")
    mapping = pkg.resources[MAPPING]["Properties"]
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["FailureBucket", "Arn"]}
    assert "EventCount" in mapping["MetricsConfig"]["Metrics"]  # publishes the alarm's metric
    assert (writes["Namespace"], writes["MetricName"]) == (
        "AWS/Lambda",
        "OnFailureDestinationDeliveredEventCount",
    )
    assert writes["Dimensions"] == [{"Name": "EventSourceMappingUUID", "Value": {"Ref": MAPPING}}]
    assert writes["Statistic"] == "Sum"
    assert (writes["Threshold"], writes["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    lost = _alarm(pkg, "DestinationDeliveryFailuresAlarm")
    assert lost["MetricName"] == "DestinationDeliveryFailures"
    assert lost["Threshold"] == 0


# --- the template as a whole ----------------------------------------------------------------


def test_cfn_lint_finds_no_errors(
    tmp_path: Path, dev: Package, prod: Package, personal: Package
) -> None:
    paths = []
    for pkg in (dev, prod, personal):
        path = tmp_path / f"{pkg.stage}.json"
        path.write_text(json.dumps(pkg.template))
        paths.append(str(path))
    proc = subprocess.run(
        [str(VENV_BIN / "cfn-lint"), "--format", "parseable", *paths],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit status is a bit mask: 2 errors, 4 warnings, 8 informational.
    assert proc.returncode & 2 == 0 and proc.returncode & 1 == 0, proc.stdout + proc.stderr


def test_sls_print_resolves_prod_params() -> None:
    printed = json.loads(run_sls("print", "--stage", "prod", "--format", "json"))
    prod = stage_params("prod")
    assert printed["provider"]["memorySize"] == prod["memorySize"] == 512
    assert printed["provider"]["logRetentionInDays"] == prod["logRetentionDays"]
    stream = printed["functions"]["processEvents"]["events"][0]["stream"]
    assert stream["batchSize"] == prod["batchSize"]
    assert stream["parallelizationFactor"] == prod["parallelizationFactor"]
    assert not re.search(r"\$\{(param|self|sls|opt|env):", json.dumps(printed))


# --- the zip --------------------------------------------------------------------------------

FORBIDDEN_TOP = {"tests", "events", "bench", "node_modules", ".venv", "docs", "scripts", ".ci"}
SDK = {"boto3", "botocore", "s3transfer"}  # provided by the Lambda runtime


def _names(pkg: Package) -> list[str]:
    with zipfile.ZipFile(pkg.zip_path) as zf:
        return zf.namelist()


def test_zip_holds_only_runtime_files(dev: Package) -> None:
    names = _names(dev)
    top = {n.split("/")[0] for n in names}
    assert {"handler.py", "operata_lambda", "schemas"} <= top
    assert "operata" not in top  # the local tools stay out of the zip
    assert not top & FORBIDDEN_TOP
    assert not top & SDK
    assert not top & {"duckdb", "sqlglot"}  # the query tool's, never the function's
    # Of this repository's own files, only the code goes in (the rest are dependencies).
    repo_top = {p.name for p in ROOT.iterdir()}
    assert top & repo_top <= {"handler.py", "operata_lambda", "schemas"}
    assert not [n for n in names if n.endswith((".md", ".zip"))]
    assert not [n for n in names if n.startswith(("operata_lambda/", "schemas/")) and "test" in n]


def test_zip_extensions_are_built_for_the_lambda_runtime(dev: Package) -> None:
    with zipfile.ZipFile(dev.zip_path) as zf:
        extensions = [n for n in zf.namelist() if re.search(r"\.so(\.|$)", n)]
        for name in extensions:
            tag = name.rsplit("/", 1)[-1]
            assert ".cpython-312-x86_64-linux-gnu." in tag or ".abi3." in tag, name
            header = zf.read(name)[:20]
            assert header[:4] == b"\x7fELF", name
            assert int.from_bytes(header[18:20], "little") == 62, name  # EM_X86_64
    assert extensions, "expected at least one compiled dependency (rpds-py)"


def test_zip_holds_the_bytecode_of_every_module_for_the_runtime(dev: Package) -> None:
    runtime = dev.props(FUNCTION)["Runtime"]  # python3.12
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    with zipfile.ZipFile(dev.zip_path) as zf:
        names = set(zf.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        bytecode = sorted(n for n in names if n.endswith(".pyc"))
        expected = []
        for name in sources:
            folder, _, file = name.rpartition("/")
            expected.append(f"{folder}/__pycache__/{file[:-3]}.{tag}.pyc".lstrip("/"))
        assert {"handler.py", "operata_lambda/app.py", "jsonschema/__init__.py"} <= set(sources)
        assert bytecode == sorted(expected)
        headers = {zf.read(name)[:8] for name in bytecode}
    # One header for all: the runtime's magic number, then flags 0b01: a hash-based .pyc
    # that the interpreter loads without checking it against the source.
    (header,) = headers
    assert int.from_bytes(header[4:8], "little") == 0b01
    if sys.version_info[:2] == tuple(int(n) for n in runtime.removeprefix("python").split(".")):
        import importlib.util

        assert header[:4] == importlib.util.MAGIC_NUMBER


def _kinesis_event(*samples: str) -> dict[str, Any]:
    records = []
    for i, name in enumerate(samples):
        data = (SAMPLES / f"{name}.json").read_bytes()
        sequence = f"4959033827149025660855969253836157109592157598913658{i:04d}"
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": json.loads(data)["id"],
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(data).decode(),
                    "approximateArrivalTimestamp": 1685595613.5,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/test",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/test",
            }
        )
    return {"Records": records}


RUN_HANDLER = textwrap.dedent(
    """
    import importlib.machinery, json, sys
    code_dir, sdk_dir, event_path = sys.argv[1:]
    stdlib = [p for p in sys.path if "-packages" not in p and p]
    sys.path[:] = [code_dir, *stdlib, sdk_dir]  # the runtime's order: code, then its SDK

    compiled = []  # source files compiled at import: none of the zip's, it holds their .pyc
    loader = importlib.machinery.SourceFileLoader
    to_code = loader.source_to_code
    def spy(self, data, path, *args, **kwargs):
        compiled.append(path)
        return to_code(self, data, path, *args, **kwargs)
    loader.source_to_code = spy

    class Context:
        function_name = "processEvents"
        aws_request_id = "test"
        def get_remaining_time_in_millis(self):
            return 60_000

    import handler
    result = handler.handler(json.load(open(event_path)), Context())
    outside = [m.__file__ for m in list(sys.modules.values())
               if getattr(m, "__file__", None) and "-packages" in m.__file__
               and not m.__file__.startswith(sdk_dir)]
    from_zip = [p for p in compiled if p.startswith(code_dir)]
    print(json.dumps({"result": result, "outside": outside, "compiled": from_zip}))
    """
)


@pytest.mark.skipif(sys.version_info[:2] != (3, 12), reason="needs the runtime's Python (3.12)")
def test_unpacked_zip_processes_a_batch(dev: Package, tmp_path: Path) -> None:
    code = tmp_path / "task"
    with zipfile.ZipFile(dev.zip_path) as zf:
        zf.extractall(code)
    read_only = [code, *code.rglob("*")]  # as /var/task
    for path in read_only:
        path.chmod(path.stat().st_mode & ~0o222)
    # The Lambda runtime brings the AWS SDK; lend it ours, and nothing else from the venv.
    sdk = tmp_path / "runtime"
    sdk.mkdir()
    import boto3  # the same packages the runtime provides

    site = Path(boto3.__file__).parents[1]
    for name in ["boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"]:
        if (site / name).exists():
            (sdk / name).symlink_to(site / name)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(_kinesis_event("CallSummary", "InsightsSummary")))
    script = tmp_path / "run_handler.py"
    script.write_text(RUN_HANDLER)
    variables = dev.props(FUNCTION)["Environment"]["Variables"]
    env = {k: v for k, v in variables.items() if isinstance(v, str)}
    env |= {
        "QUARANTINE_BUCKET": "quarantine-bucket-not-used",  # every record here is valid
        "ARCHIVE": "false",  # no Firehose here: test_archive_firehose.py delivers rows to one
        "AWS_DEFAULT_REGION": "us-east-1",
        "PATH": os.environ.get("PATH", ""),
    }
    proc = subprocess.run(
        # -B: nothing written, as in /var/task (file modes do not stop root from writing)
        [sys.executable, "-I", "-S", "-B", str(script), str(code), str(sdk), str(event)],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    for path in read_only:
        path.chmod(path.stat().st_mode | 0o200)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last["result"] == {"batchItemFailures": []}, proc.stdout
    assert last["outside"] == []
    assert last["compiled"] == []


def test_local_stage_needs_no_aws() -> None:
    """`sls invoke local --stage local` reads this: readable logs, PII shown, no bucket."""
    printed = json.loads(run_sls("print", "--stage", "local", "--format", "json"))
    env = printed["provider"]["environment"]
    assert (env["LOG_FORMAT"], env["REDACT_PII"], env["QUARANTINE_BUCKET"]) == ("text", "false", "")
    assert all(isinstance(v, str) for v in env.values())  # nothing to look up in CloudFormation
