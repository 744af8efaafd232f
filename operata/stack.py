"""`python -m operata outputs` and `remove-check`: a deployed stage's stack, read with your own
AWS credentials (or a local AWS endpoint).

`outputs` prints the stack's outputs (stream, bucket, function, dashboard). A local moto server
does not compute outputs when osls deploys through a change set: then they are found from the
stack's resources, the same names.

`remove-check` runs before the stack is removed (`make remove`): it says what each of the
stack's buckets still holds (records set aside and not yet replayed, batches the event source
mapping gave up on, records already replayed), empties the buckets the stack deletes only with
`--empty-buckets`, and never touches a retained bucket (DeletionPolicy Retain: prod's), which
outlives the stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

import yaml

from operata import aws
from operata.project import SERVERLESS_YML, stage_parameter

# Output name -> (the logical id of the resource that holds it, what it is)
OUTPUTS = {
    "StreamName": "EventStream",
    "StreamArn": "EventStream",
    "FailureBucketName": "FailureBucket",
    "FunctionName": "ProcessEventsLambdaFunction",
    "DashboardName": "Dashboard",
}
# Where osls keeps the deployed packages: `sls remove` empties it itself.
DEPLOYMENT_BUCKET = "ServerlessDeploymentBucket"
# A bucket's objects by the first part of their key: what losing them means.
KINDS = {
    "aws/lambda/": "batches the event source mapping gave up on (not replayed yet)",
    "redriven/": "records already replayed",
}


def stack_name(stage: str) -> str:
    service = yaml.safe_load(SERVERLESS_YML.read_text(encoding="utf-8"))["service"]
    return f"{service}-{stage}"


def _stack(cloudformation: Any, name: str) -> dict[str, Any]:
    try:
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except cloudformation.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            raise aws.ToolError(
                f"no stack {name}: deploy the stage first, or check --stage and --region"
            ) from None
        raise
    return dict(stack)


def _resources(cloudformation: Any, name: str) -> dict[str, dict[str, Any]]:
    summaries = []
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=name):
        summaries += page["StackResourceSummaries"]
    return {s["LogicalResourceId"]: s for s in summaries}


def stack_outputs(stage: str, endpoint_url: str | None, region: str | None) -> dict[str, str]:
    cloudformation = aws.client("cloudformation", endpoint_url, region)
    name = stack_name(stage)
    stack = _stack(cloudformation, name)
    found = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if set(OUTPUTS) <= set(found):
        return {key: found[key] for key in OUTPUTS}
    resources = _resources(cloudformation, name)
    for key, logical in OUTPUTS.items():
        if key in found or logical not in resources:
            continue
        physical = str(resources[logical]["PhysicalResourceId"])
        if key == "StreamArn":
            kinesis = aws.client("kinesis", endpoint_url, region)
            summary = kinesis.describe_stream_summary(StreamName=physical)
            physical = summary["StreamDescriptionSummary"]["StreamARN"]
        found[key] = physical
    return {key: found[key] for key in OUTPUTS if key in found}


def outputs_command(args: argparse.Namespace) -> int:
    for key, value in stack_outputs(args.stage, args.endpoint_url, args.region).items():
        print(f"{key}: {value}")
    return 0


# --- before removing --------------------------------------------------------------------------


def _retained(cloudformation: Any, name: str) -> set[str]:
    """The logical ids of the stack's resources that outlive it (DeletionPolicy Retain)."""
    body = cloudformation.get_template(StackName=name)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    return {
        logical
        for logical, resource in template.get("Resources", {}).items()
        if resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
    }


def _versions(s3: Any, bucket: str) -> list[dict[str, str]]:
    """Every object version and delete marker (a versioned bucket keeps them all)."""
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.append({"Key": item["Key"], "VersionId": item["VersionId"]})
    return found


def _held(s3: Any, bucket: str, quarantine_prefix: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key = str(item["Key"])
            kind = next((k for k in KINDS if key.startswith(k)), None)
            if kind is None:
                kind = "quarantine" if key.startswith(quarantine_prefix) else "other"
            counts[kind] += 1
    return counts


def _describe(counts: Counter[str], quarantine_prefix: str) -> str:
    words = {
        "quarantine": f"records set aside, not replayed yet ({quarantine_prefix})",
        "other": "other objects",
        **{kind: f"{text} ({kind})" for kind, text in KINDS.items()},
    }
    return "; ".join(f"{words[kind]}: {n}" for kind, n in counts.items())


def remove_check_command(args: argparse.Namespace) -> int:
    cloudformation = aws.client("cloudformation", args.endpoint_url, args.region)
    s3 = aws.client("s3", args.endpoint_url, args.region)
    name = stack_name(args.stage)
    _stack(cloudformation, name)
    retained = _retained(cloudformation, name)
    prefix = str(stage_parameter("quarantinePrefix", args.stage))
    buckets = {
        logical: str(r["PhysicalResourceId"])
        for logical, r in _resources(cloudformation, name).items()
        if r["ResourceType"] == "AWS::S3::Bucket" and logical != DEPLOYMENT_BUCKET
    }
    blocking = []
    for logical, bucket in sorted(buckets.items()):
        counts = _held(s3, bucket, prefix)
        versions = _versions(s3, bucket)
        held = _describe(counts, prefix) if counts else "nothing"
        if logical in retained:
            print(f"{logical} {bucket}: kept after the stack is removed (Retain); holds {held}")
        elif not versions:
            print(f"{logical} {bucket}: empty, removed with the stack")
        elif args.empty_buckets:
            for start in range(0, len(versions), 1000):
                s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": versions[start : start + 1000], "Quiet": True}
                )
            print(f"{logical} {bucket}: emptied ({held} deleted), removed with the stack")
        else:
            print(f"{logical} {bucket}: holds {held}; lost when the stack is removed")
            blocking.append(bucket)
    if blocking:
        print(
            f"error: {', '.join(blocking)} must be empty before the stack is removed: replay "
            "what you need (python -m operata redrive --bucket BUCKET), then "
            f"make remove STAGE={args.stage} EMPTY_BUCKETS=yes",
            file=sys.stderr,
        )
        return 1
    return 0
