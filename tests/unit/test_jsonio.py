"""operata_lambda.jsonio: orjson where it gives the standard library's answer, the standard
library where it does not; log lines with the characters log readers mishandle escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from operata_lambda.jsonio import decode_strict, dumps, loads


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 is not 1.0, key order counts)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            stack += [(x[k], y[k]) for k in x]
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            stack += zip(x, y, strict=True)
        elif x != y:
            return False
    return True


def outcome(fn: Any, data: bytes) -> Any:
    try:
        return fn(data)
    except (ValueError, RecursionError) as exc:
        return type(exc)


PAYLOADS = [
    b'{"a": "\\ud800"}',  # a lone surrogate: orjson refuses it, the standard library keeps it
    b'{"\\udc00": "x\\udbff"}',
    b'{"n": 18446744073709551615}',  # the largest integer orjson reads as an integer
    b'{"n": 18446744073709551616}',  # orjson would read these as floats
    b'{"n": -9223372036854775809}',
    b'{"n": 123456789012345678901234567890}',
    b'{"n": 1' + b"0" * 400 + b"}",
    b'{"n": 1' + b"0" * 5000 + b"}",  # beyond int_max_str_digits: not JSON, as before
    b'{"id": "4959033827149025660855969253836157109592157598913658"}',
    b'{"x": 1.2345678901234567890123}',
    b'{"mos": NaN}',
    b'{"mos": Infinity}',
    b'{"mos": -Infinity}',
    b'{"mos": 1e400}',
    b'{"mos": 1.7976931348623159e308}',
    b'{"mos": 1.7976931348623157e308, "tiny": 4.9e-324, "under": 2.5e-330}',
    b'\xef\xbb\xbf{"a": 1}',  # a byte order mark
    b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8: not UTF-8
    b'{"a": "\xff"}',
    b'{"a": "\x01"}',
    b"",
    b"  ",
    b'{"a": 1}x',
    b'{"a": 1, "a": 2}',
    b'{"a": -0, "b": -0.0, "c": 1E+2, "d": 1.0}',
    b'{"a": "\\u0000\\u2028\\/"}',
    b"[" * 500 + b"]" * 500,
    b"[" * 1024 + b"]" * 1024,
    b"[" * 1100 + b"]" * 1100,  # deeper than orjson reads: the standard library decides
    b"[" * 100_000 + b"]" * 100_000,
]


@pytest.mark.parametrize("data", PAYLOADS, ids=lambda d: repr(d[:40]))
def test_loads_gives_the_strict_standard_library_result(data: bytes) -> None:
    expected, got = outcome(decode_strict, data), outcome(loads, data)
    if isinstance(expected, type):
        assert got is expected
    else:
        assert same(got, expected)


def test_integers_beyond_64_bits_stay_exact() -> None:
    assert same(loads(b'{"n": 18446744073709551616}'), {"n": 2**64})
    assert same(loads(b"[-9223372036854775809]"), [-(2**63) - 1])


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # lone surrogates included
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_loads_agrees_on_generated_documents(value: Any, ascii_only: bool) -> None:
    data = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert same(outcome(loads, data), outcome(decode_strict, data))


# --- dumps: one log line -----------------------------------------------------------------------

RAW_IN_LOGS = ["\u2028", "\u2029", "\x7f", *map(chr, range(0x80, 0xA0))]


@settings(max_examples=400, deadline=None)
@given(value=JSON_VALUES)
def test_dumps_round_trips_on_one_line(value: Any) -> None:
    line = dumps(value)
    assert "\n" not in line and "\r" not in line
    assert not any(c in line for c in RAW_IN_LOGS)
    line.encode("utf-8")  # lone surrogates are escaped: the line can be written
    assert same(json.loads(line), value)


@pytest.mark.parametrize("char", [*RAW_IN_LOGS, "\ud800", "\udfff"])
def test_dumps_escapes_what_log_readers_mishandle(char: str) -> None:
    line = dumps({"message": f"a{char}b", "é": "ü"})
    assert line == '{"message":"a' + f"\\u{ord(char):04x}" + 'b","é":"ü"}'


def test_dumps_writes_other_types_as_json_dumps_with_default_str() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    value = {"when": when, 1: None, "big": 2**70, "deep": [[[]]], "set": {1}}
    assert json.loads(dumps(value)) == json.loads(json.dumps(value, default=str))
