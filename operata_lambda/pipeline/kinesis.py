"""Kinesis records as Lambda delivers them, and their decoding into EventBridge events."""

from __future__ import annotations

import base64
import binascii
import json
import sys
from dataclasses import dataclass
from typing import Any

OPERATA_SOURCE_PREFIX = "aws.partner/operata.com/"


@dataclass(frozen=True)
class KinesisRecord:
    """One record of a Lambda Kinesis event, with the fields that trace it."""

    sequence_number: str
    partition_key: str
    data: str  # base64 text exactly as delivered
    shard_id: str
    stream_arn: str
    arrival_time: float | None  # approximateArrivalTimestamp, seconds since the epoch

    @classmethod
    def from_lambda(cls, raw: Any) -> KinesisRecord:
        """Read a record of `event["Records"]`; tolerate missing parts (they are reported)."""
        raw = raw if isinstance(raw, dict) else {}
        kinesis = raw.get("kinesis") if isinstance(raw.get("kinesis"), dict) else {}
        event_id = str(raw.get("eventID") or "")
        arrival = kinesis.get("approximateArrivalTimestamp")
        data = kinesis.get("data")
        return cls(
            sequence_number=str(kinesis.get("sequenceNumber") or ""),
            partition_key=str(kinesis.get("partitionKey") or ""),
            data=data if isinstance(data, str) else "",
            shard_id=event_id.split(":", 1)[0] if ":" in event_id else "",
            stream_arn=str(raw.get("eventSourceARN") or ""),
            arrival_time=float(arrival) if isinstance(arrival, int | float) else None,
        )


def payload_bytes(data: str) -> bytes:
    """A record's payload bytes; the base64 text itself when it is not valid base64."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return data.encode("utf-8", "surrogateescape")


class DecodeError(Exception):
    """A record that can never be decoded into an event; `reason` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if -_LARGEST <= value <= _LARGEST:  # no call: this runs for every number with a fraction
        return value
    raise ValueError(f"number {text[:40]} is out of range")


_LARGEST = sys.float_info.max
# One decoder for every record: json.loads(text, parse_float=...) would build one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def decode(data: str) -> dict[str, Any]:
    """base64 text -> the JSON object it holds. Raises DecodeError with the reason."""
    try:
        payload = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError("not_base64", f"data is not valid base64: {exc}") from None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("not_utf8", f"payload is not UTF-8: {exc}") from None
    try:
        if text.startswith("\ufeff"):  # what json.loads says of a byte order mark
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except RecursionError:
        raise DecodeError("not_json", "payload is nested too deeply to parse") from None
    except ValueError as exc:
        raise DecodeError("not_json", f"payload is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DecodeError(
            "not_eventbridge", f"payload is a JSON {type(value).__name__}, not an event object"
        )
    return value


def is_operata_source(source: object) -> bool:
    return isinstance(source, str) and source.startswith(OPERATA_SOURCE_PREFIX)
