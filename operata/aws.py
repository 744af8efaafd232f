"""The tools' AWS clients, and what their errors mean, in one line each.

Every tool that talks to AWS (publish, consume, redrive) makes its clients here, through the
project's one client helper (operata_lambda.aws): the region and endpoint as given (--region,
--endpoint-url) or as boto3 finds them, a short connect timeout and few retries, so that an
endpoint that does not answer is said within seconds. `describe` turns
what botocore raises into a line that names the stream, bucket or endpoint and what to do;
cli.main prints it instead of a traceback.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from operata_lambda import aws as runtime_aws

STACK_OUTPUTS = "sls info --verbose --stage STAGE lists the stack's stream and bucket"


class ToolError(Exception):
    """What went wrong, in one line that says what to do."""


def client(service: str, endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A boto3 client with the usual credentials, at endpoint_url and in region when given
    (operata_lambda.aws.client, the tools' patience)."""
    from botocore.exceptions import NoRegionError

    try:
        return runtime_aws.client(
            service, runtime_aws.TOOLS, endpoint_url=endpoint_url, region=region
        )
    except NoRegionError:
        raise ToolError(no_region()) from None


def no_region() -> str:
    return (
        "no AWS region configured: pass --region REGION (e.g. --region us-east-1) or set "
        "AWS_DEFAULT_REGION"
    )


def endpoint_of(args: argparse.Namespace) -> str:
    given = getattr(args, "endpoint_url", None) or os.environ.get("AWS_ENDPOINT_URL")
    return str(given) if given else "AWS"


def region_of(args: argparse.Namespace) -> str:
    given = getattr(args, "region", None)
    if given:
        return str(given)
    try:
        import botocore.session

        found = botocore.session.Session().get_config_variable("region")
    except Exception:  # no botocore, or a broken config: the line names what it can
        found = None
    return str(found) if found else "(no region)"


def is_fatal(exc: BaseException) -> bool:
    """An error that the next request would meet too: no stream, no endpoint, no credentials."""
    try:
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
    except ImportError:
        return False
    if isinstance(exc, EndpointConnectionError | NoCredentialsError):
        return True
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        return code in {"ResourceNotFoundException", "NoSuchBucket", "UnrecognizedClientException"}
    return False


def describe(exc: BaseException, args: argparse.Namespace) -> str | None:
    """One line for an error from botocore, naming what the command was talking to; None for
    anything else (a bug: its traceback is wanted)."""
    try:
        from botocore import exceptions as errors
    except ImportError:
        return None
    endpoint = endpoint_of(args)
    if isinstance(exc, errors.NoRegionError):
        return no_region()
    if isinstance(exc, errors.NoCredentialsError | errors.PartialCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (any values will do for a local endpoint such as moto)"
        )
    if isinstance(
        exc,
        errors.EndpointConnectionError
        | errors.ConnectTimeoutError
        | errors.ReadTimeoutError
        | errors.ConnectionClosedError,
    ):
        where = getattr(exc, "kwargs", {}).get("endpoint_url") or endpoint
        return (
            f"cannot reach {where}: nothing answers there; start the server, or check "
            "--endpoint-url (and AWS_ENDPOINT_URL) and --region"
        )
    if isinstance(exc, errors.ParamValidationError):
        return f"invalid request: {str(exc).splitlines()[-1].strip()}"
    if isinstance(exc, errors.ClientError):
        return _client_error(exc, args, endpoint)
    if isinstance(exc, errors.BotoCoreError):
        return f"AWS request to {endpoint} failed: {exc}"
    return None


def _client_error(exc: Any, args: argparse.Namespace, endpoint: str) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")).strip()
    region = region_of(args)
    at = f"in {region} at {endpoint}"
    if code == "ResourceNotFoundException" and getattr(args, "stream", None):
        return f"stream {args.stream} not found {at}: check --stream and --region ({STACK_OUTPUTS})"
    if code == "NoSuchBucket":
        bucket = (
            error.get("BucketName")
            or getattr(args, "bucket", None)
            or getattr(args, "on_failure_bucket", None)
        )
        option = "--bucket" if getattr(args, "bucket", None) else "--on-failure-bucket"
        return f"bucket {bucket} does not exist {at}: check {option} ({STACK_OUTPUTS})"
    if code in {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId"}:
        return f"the AWS credentials were refused {at}: {message or code}; check AWS_PROFILE"
    if code in {"AccessDenied", "AccessDeniedException"}:
        return f"{exc.operation_name} was denied {at}: {message or code}"
    return f"{exc.operation_name} failed {at}: {code}: {message}"
