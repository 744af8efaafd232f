"""JSON in and out: `loads` for record payloads, `dumps` for one log line.

Both use orjson (C, strict JSON) and keep the standard library's results where orjson's differ.

loads(data) returns exactly what the strict standard-library path returns (`decode_strict`:
UTF-8 without a byte order mark, no NaN or Infinity, no number beyond a double), and raises
what it raises: UnicodeDecodeError for bytes that are not UTF-8, another ValueError for text
that is not JSON, RecursionError for nesting too deep for it. orjson answers first; the
standard library decides whenever orjson refuses the payload (so lone surrogates such as
"\\ud800", which orjson refuses, are read as JSON allows, and every error message is the
standard library's), and whenever the payload holds 19 or more digits in a row, since orjson
reads an integer beyond 64 bits as a float where the standard library keeps it exact.

dumps(obj) writes one line of compact JSON in UTF-8 text, `default=str` for other types, with
U+2028, U+2029, DEL, the C1 controls and lone surrogates escaped as \\uXXXX (neither orjson nor
json escapes them in UTF-8 output; log readers treat some as line ends or garbage).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import orjson

# --- reading ------------------------------------------------------------------------------

_LARGEST = sys.float_info.max


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if -_LARGEST <= value <= _LARGEST:  # no call: this runs for every number with a fraction
        return value
    raise ValueError(f"number {text[:40]} is out of range")


# One decoder for every payload: json.loads(text, parse_float=...) would build one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)

# 19 digits in a row (in a number or in a string): the payload may hold an integer outside
# orjson's 64 bits. Mapping every digit to "0" and searching is one C pass, where a regular
# expression steps through the payload one byte at a time.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_DIGIT_RUN = b"0" * 19


def decode_strict(data: bytes) -> Any:
    """The standard library's strict decoding, which defines the rules `loads` keeps."""
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):  # what json.loads says of a byte order mark
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _DECODER.decode(text)


def loads(data: bytes) -> Any:
    """One JSON document from UTF-8 bytes, by the rules of decode_strict (see the module)."""
    if data.translate(_DIGITS_AS_ZERO).find(_LONG_DIGIT_RUN) < 0:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the standard library decides, and names the error
    return decode_strict(data)


# --- writing ------------------------------------------------------------------------------

_DUMPS_OPTIONS = (
    orjson.OPT_NON_STR_KEYS  # as json.dumps: 1 -> "1"
    | orjson.OPT_PASSTHROUGH_DATETIME  # as json.dumps with default=str: str(value)
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
# For what orjson refuses: lone surrogates, integers beyond 64 bits, nesting beyond 254.
_FALLBACK_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))
_TO_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(obj: Any) -> str:
    """One log line: compact JSON, UTF-8 text, the characters above escaped (no newline)."""
    try:
        text = orjson.dumps(obj, default=str, option=_DUMPS_OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError:
        text = _FALLBACK_ENCODER.encode(obj)
    if text.isascii():
        return text.replace("\x7f", "\\u007f") if "\x7f" in text else text
    return _TO_ESCAPE.sub(_escape, text)
