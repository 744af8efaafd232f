"""Decoding Kinesis records into EventBridge events, and classifying what cannot be decoded."""

from __future__ import annotations

import pytest

from operata_lambda.pipeline.kinesis import (
    DecodeError,
    KinesisRecord,
    decode,
    is_operata_source,
)
from tests.helpers import b64


def test_decodes_a_json_object() -> None:
    assert decode(b64(b'{"id": "1", "n": 1.5}')) == {"id": "1", "n": 1.5}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("%%% not base64 %%%", "not_base64"),
        ("YWJ", "not_base64"),  # incomplete padding
        (b64(b"\xff\xfe\x80"), "not_utf8"),
        (b64(b'{"a": "\xed\xa0\x80"}'), "not_utf8"),  # a surrogate encoded in UTF-8
        (b64(b'\xef\xbb\xbf{"a": 1}'), "not_json"),  # a byte order mark
        (b64(b"not json {"), "not_json"),
        (b64(b""), "not_json"),
        (b64(b'{"mos": NaN}'), "not_json"),
        (b64(b'{"mos": Infinity}'), "not_json"),
        (b64(b'{"mos": -Infinity}'), "not_json"),
        (b64(b'{"mos": 1e400}'), "not_json"),
        (b64(b'{"mos": -1.8e308}'), "not_json"),
        (b64(b'{"n": 1' + b"0" * 5000 + b"}"), "not_json"),  # beyond int_max_str_digits
        (b64(b"[" * 100_000 + b"]" * 100_000), "not_json"),
        (b64(b'{"a": ' * 100_000 + b"1" + b"}" * 100_000), "not_json"),
        (b64(b'["an", "array"]'), "not_eventbridge"),
        (b64(b"42"), "not_eventbridge"),
        (b64(b"null"), "not_eventbridge"),
        (b64(b'"text"'), "not_eventbridge"),
    ],
)
def test_undecodable_records_are_classified(data: str, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert caught.value.reason == reason
    assert caught.value.message


def test_large_finite_numbers_are_kept() -> None:
    assert decode(b64(b'{"n": 1e300, "m": -2.5e-300}')) == {"n": 1e300, "m": -2.5e-300}


def test_integers_are_exact_at_any_size() -> None:
    # orjson reads integers beyond 64 bits as floats: decode keeps them exact, as json does.
    data = (
        b'{"u64": 18446744073709551615, "big": 18446744073709551616, "neg": -9223372036854775809}'
    )
    event = decode(b64(data))
    assert event == {"u64": 2**64 - 1, "big": 2**64, "neg": -(2**63) - 1}
    assert all(type(value) is int for value in event.values())
    assert decode(b64(b'{"n": 1' + b"0" * 400 + b"}")) == {"n": 10**400}


def test_lone_surrogates_are_kept() -> None:
    # Valid JSON escapes that make no character; orjson refuses them, decode keeps them.
    assert decode(b64(b'{"a": "\\ud800", "\\udc00": 1}')) == {"a": "\ud800", "\udc00": 1}


def test_nesting_deeper_than_orjson_reads_is_decoded_as_before() -> None:
    for depth in (500, 1100):
        event = decode(b64(b'{"a": ' + b"[" * depth + b"]" * depth + b"}"))
        inner, levels = event["a"], 1
        while inner:
            inner, levels = inner[0], levels + 1
        assert levels == depth


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("aws.partner/operata.com/a28453f9/andyEventBus", True),
        ("aws.partner/operata.com/", True),
        ("aws.partner/operata.comx/a28453f9/bus", False),
        ("aws.partner/operata.com", False),
        ("aws.partner/other.com/operata.com/", False),
        ("AWS.PARTNER/OPERATA.COM/x", False),
        (None, False),
        (42, False),
    ],
)
def test_operata_source_needs_the_exact_prefix(source: object, expected: bool) -> None:
    assert is_operata_source(source) is expected


def test_record_fields_are_read_from_the_lambda_shape() -> None:
    record = KinesisRecord.from_lambda(
        {
            "eventID": "shardId-000000000003:4959",
            "eventSourceARN": "arn:aws:kinesis:us-east-1:1:stream/s",
            "kinesis": {
                "sequenceNumber": "4959",
                "partitionKey": "pk",
                "data": "e30=",
                "approximateArrivalTimestamp": 1700000000.5,
            },
        }
    )
    assert record == KinesisRecord(
        "4959",
        "pk",
        "e30=",
        "shardId-000000000003",
        "arn:aws:kinesis:us-east-1:1:stream/s",
        1.7e9 + 0.5,
    )


@pytest.mark.parametrize("raw", [None, 42, "text", {}, {"kinesis": None}, {"kinesis": {"data": 5}}])
def test_malformed_lambda_records_still_give_a_record(raw: object) -> None:
    record = KinesisRecord.from_lambda(raw)
    assert record.data == ""
    assert record.sequence_number == ""
