"""Kinesis records as Lambda delivers them, and their decoding into EventBridge events."""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from typing import Any

from operata_lambda.jsonio import loads
from operata_lambda.pipeline.outcomes import Reason

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
        event_id = _text(raw.get("eventID"))
        data = kinesis.get("data")
        return cls(
            sequence_number=_text(kinesis.get("sequenceNumber")),
            partition_key=_text(kinesis.get("partitionKey")),
            data=data if isinstance(data, str) else "",
            shard_id=event_id.split(":", 1)[0] if ":" in event_id else "",
            stream_arn=_text(raw.get("eventSourceARN")),
            arrival_time=arrival_time(kinesis.get("approximateArrivalTimestamp")),
        )

    @classmethod
    def from_entry(cls, entry: Any) -> KinesisRecord:
        """The record a quarantine entry was made from (sinks/quarantine.py writes them)."""
        entry = entry if isinstance(entry, dict) else {}
        data = entry.get("data")
        return cls(
            sequence_number=_text(entry.get("sequenceNumber")),
            partition_key=_text(entry.get("partitionKey")),
            data=data if isinstance(data, str) else "",
            shard_id=_text(entry.get("shardId")),
            stream_arn=_text(entry.get("streamArn")),
            arrival_time=arrival_time(entry.get("approximateArrivalTimestamp")),
        )


# Seconds since the epoch that a calendar date can be made of (years 1970 to 9999).
LATEST_ARRIVAL = 253402300799.0


def arrival_time(value: Any) -> float | None:
    """approximateArrivalTimestamp as seconds since the epoch, or None when it is not a number
    a date can be made of (missing, text, NaN, infinite, 1e20, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds <= LATEST_ARRIVAL else None


def _text(value: Any) -> str:
    """An identifier as text: a string as it is, a whole number in digits, anything else ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # more digits than Python converts
            return ""
    return ""


class DecodeError(Exception):
    """A record that can never be decoded into an event; `reason` is a stable code."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def decode(data: str) -> dict[str, Any]:
    """base64 text -> the JSON object it holds. Raises DecodeError with the reason.

    The JSON rules are operata_lambda.jsonio.loads's: UTF-8 without a byte order mark, no NaN
    or Infinity, no number beyond a double, integers exact at any size, nesting as deep as the
    standard library's decoder reads.
    """
    try:
        payload = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(Reason.NOT_BASE64, f"data is not valid base64: {exc}") from None
    try:
        value = loads(payload)
    except UnicodeDecodeError as exc:
        raise DecodeError(Reason.NOT_UTF8, f"payload is not UTF-8: {exc}") from None
    except RecursionError:
        raise DecodeError(Reason.NOT_JSON, "payload is nested too deeply to parse") from None
    except ValueError as exc:
        raise DecodeError(Reason.NOT_JSON, f"payload is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DecodeError(
            Reason.NOT_EVENTBRIDGE, f"payload is a JSON {type(value).__name__}, not an event object"
        )
    return value


def is_operata_source(source: object) -> bool:
    return isinstance(source, str) and source.startswith(OPERATA_SOURCE_PREFIX)
