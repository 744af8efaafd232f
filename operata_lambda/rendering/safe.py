"""Event text on a log line: escaped, so it cannot start a line or hide one; clipped, so no
line outgrows what CloudWatch Logs keeps in one event (256 KB).

Every rendering goes through here: text lines through `text_line`, JSON lines through
`json_line`. Line breaks, other C0 and C1 control characters, DEL and the Unicode line and
paragraph separators are shown escaped (`\\n`, `\\x1b`, `\\u2028`); a value longer than
MAX_VALUE characters is cut, with a marker saying how much was left out. The record itself is
never changed: its full content stays in the stream and, when rejected, in the quarantine.
"""

from __future__ import annotations

import re
from typing import Any

from operata_lambda.jsonio import dumps

MAX_VALUE = 4096  # characters of one value shown in a line
MAX_TEXT_LINE = 2 * MAX_VALUE  # characters of one text line: a label and one value
MAX_LINE = 64 * 1024  # characters of one JSON line, whatever it holds (CloudWatch keeps 256 KB)

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """Control characters and line separators shown as escapes."""
    return _UNSAFE.sub(_escape_one, text) if _UNSAFE.search(text) else text


def clip(text: str, limit: int = MAX_VALUE) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more characters left out]"


def text_line(text: str) -> str:
    """One line of a text report: nothing in it can start another line."""
    return clip(escape(text), MAX_TEXT_LINE)


def clip_values(value: Any) -> Any:
    """Every string inside `value` (keys included) cut to MAX_VALUE characters."""
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, dict):
        return {clip(str(k)): clip_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clip_values(v) for v in value]
    return value


def json_line(entry: dict[str, Any]) -> str:
    """One JSON line; event text in it escaped by the encoder (jsonio.dumps) and clipped."""
    line = dumps(entry)
    if len(line) > MAX_VALUE:  # only then can one of its strings be too long
        line = dumps(clip_values(entry))
    if len(line) > MAX_LINE:  # many long values: keep what traces the record
        kept = {k: entry.get(k) for k in ("level", "outcome", "sequenceNumber", "eventId")}
        line = dumps({**kept, "truncated": f"{len(line)} characters left out"})
    return line
