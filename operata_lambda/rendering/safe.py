"""Event text on a log line: escaped, so it cannot start a line or hide one; bounded, so no
line outgrows what CloudWatch Logs keeps in one event (256 KB) and no value can make the
rendering fail.

One escaping rule for every character that reaches a line, in both formats: the control
characters (C0, DEL, C1), the Unicode line and paragraph separators, the invisible format
characters (category Cf: bidi controls, zero-width characters, the byte order mark) and lone
surrogates are shown as escapes (`\\n`, `\\x1b`, `\\u2028`, `\\u202e`). Text lines get them
from `escape`, JSON lines from `json_line` (inside JSON strings, where they stay valid JSON).

`bounded(value)` copies an event value of any shape without recursion: at most MAX_DEPTH levels,
MAX_ITEMS items or keys per array or object and MAX_NODES values in all are shown, the rest is
named (`…`, `…[N more items left out]`), and every string (keys too) goes through the function
given, which redacts then clips. The record itself is never changed: its full content stays in
the stream and, when rejected, in the quarantine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice
from typing import Any

from operata_lambda.jsonio import dumps

MAX_VALUE = 4096  # characters of one value shown in a line
MAX_TEXT_LINE = 2 * MAX_VALUE  # characters of one text line: a label and one escaped value
MAX_LINE = 64 * 1024  # characters of one JSON line, whatever it holds (CloudWatch keeps 256 KB)
MAX_DEPTH = 32  # levels of nesting shown; deeper values are shown as …
MAX_ITEMS = 200  # items of one array, keys of one object shown
MAX_NODES = 5000  # values shown from one structure
DEEPER = "…"
# What a cut JSON line keeps, so that it can still be tied to its record and request.
TRACE_KEYS = (
    "level",
    "message",
    "outcome",
    "reason",
    "detailType",
    "eventId",
    "sequenceNumber",
    "partitionKey",
    "shardId",
    "requestId",
)

# Categories Cc, Cf, Zl, Zp and Cs of Unicode 15 (Python 3.12's unicodedata); a test checks
# UNSAFE against unicodedata, character by character. A class with characters beyond U+FFFF
# makes re several times slower on every line, so lines are searched with the BMP part, and with
# the rest only when they hold a character beyond U+FFFF.
_BMP = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
)
_ASTRAL = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
UNSAFE = re.compile(f"[{_BMP}{_ASTRAL}]")
_UNSAFE_BMP = re.compile(f"[{_BMP}]")
_UNSAFE_ASTRAL = re.compile(f"[{_ASTRAL}]")


def has_unsafe(text: str) -> bool:
    """Whether the text holds a character the rule escapes."""
    if _UNSAFE_BMP.search(text):
        return True
    return not text.isascii() and max(text) > "\uffff" and bool(_UNSAFE_ASTRAL.search(text))


_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _json_escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape(text: str) -> str:
    """Control, separator and format characters shown as escapes."""
    return UNSAFE.sub(_escape_one, text) if has_unsafe(text) else text


def clip(text: str, limit: int = MAX_VALUE) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more characters left out]"


def text_line(text: str) -> str:
    """One line of a text report: nothing in it can start another line."""
    return clip(escape(text), MAX_TEXT_LINE)


def bounded(value: Any, shown: Callable[[str], str] = clip) -> Any:
    """A copy of `value` of bounded depth and size, each string (keys too) passed to `shown`.

    Iterative: a value nested thousands of levels deep costs what MAX_NODES values cost.
    """
    root: list[Any] = [None]
    budget = MAX_NODES
    todo: list[tuple[Any, Any, Any, int]] = [(root, 0, value, 0)]
    while todo:
        parent, slot, item, depth = todo.pop()
        if isinstance(item, str):
            parent[slot] = shown(item)
        elif item is None or isinstance(item, bool | int | float):
            parent[slot] = item
        elif isinstance(item, dict | list | tuple):
            if depth >= MAX_DEPTH or budget <= 0:
                parent[slot] = DEEPER
                continue
            size = len(item)
            room = min(size, MAX_ITEMS, budget)
            budget -= room
            if isinstance(item, dict):
                obj: dict[str, Any] = {}
                children: list[tuple[Any, Any, Any, int]] = []
                for key, child in islice(item.items(), room):
                    name = shown(str(key))
                    obj[name] = None
                    children.append((obj, name, child, depth + 1))
                if size > room:
                    obj[DEEPER] = f"{size - room} more keys left out"
                parent[slot] = obj
            else:
                array: list[Any] = [None] * room
                children = [(array, i, item[i], depth + 1) for i in range(room)]
                if size > room:
                    array.append(f"…[{size - room} more items left out]")
                parent[slot] = array
            todo += reversed(children)
        else:  # a datetime, say: as text
            parent[slot] = shown(str(item))
    return root[0]


def json_escaped(line: str) -> str:
    """A JSON line with the characters of the rule that the encoder leaves raw escaped."""
    return UNSAFE.sub(_json_escape_one, line) if has_unsafe(line) else line


def json_line(entry: dict[str, Any], redact: Callable[[str], str] | None = None) -> str:
    """One JSON line; every string in it redacted (when `redact` is given) before it is cut.

    A short entry with few objects and arrays is written as it is and redacted as one text
    (nothing in it was cut); any other is copied through `bounded` first, each string
    redacted then clipped.
    """
    try:
        line = dumps(entry)
    except (RecursionError, ValueError):
        line = ""
    if line and len(line) <= MAX_VALUE and line.count("{") + line.count("[") <= MAX_DEPTH:
        return json_escaped(redact(line) if redact is not None else line)

    def shown(text: str) -> str:
        return clip(redact(text) if redact is not None else text)

    line = json_escaped(dumps(bounded(entry, shown)))
    if len(line) > MAX_LINE:  # many long values: keep what traces the record
        kept = {k: shown(str(entry[k])) for k in TRACE_KEYS if entry.get(k) is not None}
        kept["truncated"] = f"{len(line)} characters left out"
        line = json_escaped(dumps(kept))
    return line


def last_resort_message(excerpt: str) -> str:
    """What a record's line says when its own line could not be made (a bug): a short excerpt
    of why, escaped."""
    return (
        "Error processing event: its log line could not be written; "
        f"excerpt: {escape(clip(excerpt, 200))}"
    )
