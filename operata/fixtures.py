"""Lambda Kinesis events made from EventBridge event files, as the event source mapping sends."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FIRST_SEQUENCE = 49590338271490256608559692538361571095921575989136588898
ARRIVAL = 1685595613.0
# The sample of a detail-type with no schema (events/source/<it>.json): shown as raw JSON. Operata
# names its types in PascalCase, so no real type will ever take this name.
TYPE_WITHOUT_SCHEMA = "test-only-type-without-schema"


def kinesis_event(
    payloads: Iterable[bytes],
    *,
    stream_arn: str = "arn:aws:kinesis:us-east-1:123456789012:stream/operata",
    shard: str = "shardId-000000000000",
    partition_keys: Iterable[str] | None = None,
) -> dict[str, Any]:
    """A Lambda Kinesis event holding each payload as one record, in order; the n-th record
    has sequence number FIRST_SEQUENCE + n whatever follows it.

    Partition keys default to the EventBridge rule's (the event id), `pk-<n>` for non-events.
    """
    keys = iter(partition_keys) if partition_keys is not None else None
    records = []
    for index, payload in enumerate(payloads):
        records.append(
            lambda_record(
                payload,
                sequence=str(FIRST_SEQUENCE + index),
                key=next(keys) if keys else partition_key(payload, f"pk-{index}"),
                arrival=ARRIVAL + index,
                shard=shard,
                stream_arn=stream_arn,
            )
        )
    return {"Records": records}


def lambda_record(
    data: bytes, *, sequence: str, key: str, arrival: float, shard: str, stream_arn: str
) -> dict[str, Any]:
    """One record as the event source mapping hands it to the function."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": key,
            "sequenceNumber": sequence,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/operata-processor",
        "awsRegion": stream_arn.split(":")[3] if stream_arn.count(":") >= 3 else "",
        "eventSourceARN": stream_arn,
    }


def partition_key(payload: bytes, fallback: str) -> str:
    """The EventBridge rule's partition key: the event's id, when the payload is an event."""
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deeply
        return fallback
    if isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"]:
        return str(event["id"])
    return fallback


def quarantined_data(data: bytes) -> bytes | None:
    """The record's data when the file is a quarantine entry (.quarantine/, the bucket's
    quarantine/), exactly as it was delivered; None for any other file."""
    try:
        entry = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not (isinstance(entry, dict) and "entryVersion" in entry and "data" in entry):
        return None
    try:
        return base64.b64decode(str(entry["data"]), validate=True)
    except ValueError:  # a not_base64 rejection: its text is what was delivered
        return str(entry["data"]).encode()


def _not_an_eventbridge_event(name: str, data: bytes) -> str | None:
    """Why a file cannot be wrapped as one EventBridge event, or None when it can."""
    try:
        event = json.loads(data)
    except RecursionError:
        return f"{name}: JSON nested too deeply to read"
    except json.JSONDecodeError as exc:
        return f"{name}: not JSON at line {exc.lineno}, column {exc.colno}"
    except ValueError:
        return f"{name}: not JSON (not UTF-8 text)"
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        return f"{name}: already a Lambda Kinesis event: pass it to sls invoke local -p as it is"
    if not (isinstance(event, dict) and "detail-type" in event and "detail" in event):
        return f"{name}: not an EventBridge event or a quarantine entry (no detail-type and detail)"
    return None


def kinesis_event_command(args: argparse.Namespace) -> int:
    payloads = []
    for name in args.files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            print(f"error: cannot read {name}: {exc.strerror}", file=sys.stderr)
            return 2
        kept = None if args.raw else quarantined_data(data)
        if kept is not None:
            payloads.append(kept)
            continue
        problem = None if args.raw else _not_an_eventbridge_event(name, data)
        if problem:
            hint = "" if "sls invoke" in problem else " (--raw wraps any file as it is)"
            print(f"error: {problem}{hint}", file=sys.stderr)
            return 2
        payloads.append(data)
    event = kinesis_event(payloads, stream_arn=args.stream_arn, shard=args.shard)
    text = json.dumps(event, indent=2) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return 0
