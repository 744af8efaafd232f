"""Text shared by every rendering: value formatting, the block around an event, unknown types.

Every value a rendering prints goes through the helpers here, and they never raise: a value
the event lacks prints as n/a, and a value of a type the model does not expect (a number that
arrives as text or as an object after `schemas update --allow-type-change`) prints as text,
without a rating. Summaries use number() so that their numeric fields stay numbers (or null).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from operata_lambda.events.common import Envelope, Stats, parse_time
from operata_lambda.rendering.safe import MAX_ITEMS, MAX_LINE, bounded, clip

RULE = "=" * 42
THIN = "-" * 42
NA = "n/a"

Number = int | float


def number(value: Any) -> Number | None:
    """The value if it is a JSON number, else None (missing, text, object, true/false)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def as_text(value: Any) -> str:
    """Any value as text: n/a when missing or empty, text as it is, other values as JSON; cut
    at MAX_VALUE characters (rendering.safe), whatever its size or depth."""
    if value is None or value == "":
        return NA
    if isinstance(value, str):
        return clip(value)
    return clip(json.dumps(bounded(value), ensure_ascii=False, sort_keys=True, default=str))


def formatted(value: Any, form: Callable[[Number], str]) -> str:
    """`form(value)` for a number; n/a when missing; the value as text for anything else."""
    n = number(value)
    if n is None:
        return as_text(value)
    try:
        return form(n)
    except (OverflowError, ValueError):  # an integer too large for a float, say
        return str(n)


def _as_people_write_it(n: Number) -> str:
    if isinstance(n, int):  # also one too large for a float
        return str(n)
    if n.is_integer():
        return str(int(n))
    return f"{n:.4f}".rstrip("0").rstrip(".")


def num(value: Any) -> str:
    """A number as people write it: 180, 4.5, 0.05; n/a when missing."""
    return formatted(value, _as_people_write_it)


def one_decimal(value: Any) -> str:
    """%.1f: 34.88 -> 34.9, 16 -> 16.0."""
    return formatted(value, lambda n: f"{n:.1f}")


def two_decimals(value: Any) -> str:
    """%.2f: 4.2 -> 4.20, 0.05 -> 0.05."""
    return formatted(value, lambda n: f"{n:.2f}")


def whole(value: Any) -> str:
    """%d: 245.0 -> 245 (a fraction is cut off, as %d does)."""
    return formatted(value, lambda n: str(int(n)))


def text(value: Any) -> str:
    """A text field: as it is; n/a when missing or empty."""
    return as_text(value)


def upper(value: Any) -> str:
    """A text field in capitals (INBOUND); n/a when missing."""
    return clip(value.upper()) if isinstance(value, str) and value else as_text(value)


def numbered(items: list[str], indent: str) -> list[str]:
    """1. first, 2. second, ...: at most MAX_ITEMS lines, then how many more there are."""
    shown = [f"{indent}{n}. {item}" for n, item in enumerate(items[:MAX_ITEMS], 1)]
    if len(items) > MAX_ITEMS:
        shown.append(f"{indent}… and {len(items) - MAX_ITEMS} more")
    return shown


def rating(rate: Callable[[float], str], value: Any) -> str | None:
    """The rating of a figure; None when the event lacks it or it is not a number."""
    n = number(value)
    return None if n is None else rate(n)


def rated(
    value: Any, rate: Callable[[float], str], unit: str = "", form: Callable[[Any], str] = num
) -> str:
    """4.5 (Excellent), 0.05% (Minimal); n/a when missing; a value that is no number as text."""
    if value is None:
        return NA
    shown = f"{form(value)}{unit}"
    label = rating(rate, value)
    return shown if label is None else f"{shown} ({label})"


def avg(stats: Stats | None) -> Any:
    return stats.avg if isinstance(stats, Stats) else None


def utc(moment: datetime) -> str:
    """The report's time format: 2023-06-01 05:12:38 UTC."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def timestamp(value: Any) -> str:
    """An RFC 3339 timestamp of a detail in the report's format; other text as it is."""
    try:
        return utc(parse_time(value))
    except ValueError:
        return as_text(value)


# --- the block around every event ----------------------------------------------------------


def header(envelope: Envelope, title: str) -> list[str]:
    return [
        RULE,
        "Operata Event Received",
        RULE,
        f"Event ID: {clip(envelope.id)}",
        f"Event Type: {clip(title)}",
        f"Source: {clip(envelope.source)}",
        f"Account: {text(envelope.account)}",
        f"Region: {text(envelope.region)}",
        f"Time: {utc(envelope.time)}",
        THIN,
    ]


# --- a detail-type with no model yet ---------------------------------------------------------


def render_unknown(detail: Any) -> list[str]:
    """The detail as it came, for a type Operata added before this project has a model: its
    depth and size bounded (rendering.safe.bounded), every line but the braces indented, at
    most MAX_LINE characters in all.

    Split on the encoder's own line breaks only: str.splitlines would also break at U+2028,
    NEL, VT or FF inside a value or a key, and let event text begin a line.
    """
    shown = bounded(detail)
    pretty = json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    if len(pretty) > MAX_LINE:  # as much of it as one JSON line would hold
        cut = pretty.rfind("\n", 0, MAX_LINE)
        left_out = pretty.count("\n", cut)
        pretty = f"{pretty[:cut]}\n  …[{left_out} more lines left out]"
    return ["Unknown event type - raw data:", *pretty.split("\n")]
