"""The one way this project makes an AWS client: for the function's AWS sinks (the S3
quarantine, and any other) and for the tools (`python -m operata publish | consume | redrive`).

Credentials, region and endpoint are found as boto3 finds them (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, ...) unless given. Timeouts are short and attempts few, so that an endpoint
that does not answer is known within seconds: a sink's request must end well within the
function's DEADLINE_MARGIN_MS (the batch loop looks at the time between records only), and a
person running a tool should not wait for botocore's minute-long defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AWS_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


@dataclass(frozen=True)
class Patience:
    """How long one request may take: seconds to connect, seconds between bytes, and attempts
    in all (the first one included)."""

    connect_s: float
    read_s: float
    attempts: int


# The function: at worst two attempts of 1 s connect + 3 s read, plus the retry's backoff,
# which fits in the default DEADLINE_MARGIN_MS.
FUNCTION = Patience(connect_s=1, read_s=3, attempts=2)
# The tools: a slower link is tolerable, reads of whole objects and shards take longer.
TOOLS = Patience(connect_s=5, read_s=60, attempts=2)


def quiet_aws_loggers() -> None:
    """The AWS libraries' loggers at WARNING, whatever LOG_LEVEL says."""
    import logging

    for name in AWS_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def client(
    service: str,
    patience: Patience,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    checked: bool = True,
) -> Any:
    """A boto3 client for `service`; boto3 is imported on the first call, not at cold start.
    `checked=False` skips botocore's check of the parameters against the API's model, for a
    caller whose parameters are always of the right shape.

    Raises botocore's NoRegionError when no region is given or configured.
    """
    import boto3
    from botocore.config import Config

    quiet_aws_loggers()
    config = Config(
        connect_timeout=patience.connect_s,
        read_timeout=patience.read_s,
        retries={"total_max_attempts": patience.attempts, "mode": "standard"},
        parameter_validation=checked,
    )
    return boto3.client(
        service, endpoint_url=endpoint_url or None, region_name=region or None, config=config
    )
