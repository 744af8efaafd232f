"""A record's outcome as the log may show it when redaction is on: every personal field its
type declares (EventType.personal) masked in the envelope's detail, in the model the text block
is rendered from, and in a rejection's value and messages, whatever the value's shape.

Masking comes first and clipping after (in rendering.safe), so a cut value never shows more of
a number than its mask does. The outcome the other sinks see is not changed. The detail is
masked once per record (Outcome.masked_detail), the masking the archive's rows use too.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from operata_lambda.events.builders import build
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.rendering.redact import (
    MASK,
    leaves,
    mask_under,
    personal_under,
)


def masked(outcome: Outcome, *, text_block: bool, envelope_shown: bool) -> Outcome:
    """`outcome` with its personal data masked: in its violation always, in its envelope when
    the envelope is shown (DEBUG) or the text block is rendered from it (`text_block`: the
    model is rebuilt from the masked detail)."""
    event_type = EVENT_TYPES.get(outcome.detail_type)
    personal = event_type.personal if event_type else {}
    changes: dict[str, Any] = {}
    envelope = outcome.envelope
    if envelope is not None and (text_block or envelope_shown):
        envelope = dataclasses.replace(envelope, detail=outcome.masked_detail)
        changes["envelope"] = envelope
    if (
        text_block
        and envelope is not None
        and outcome.status is Status.PROCESSED
        and outcome.event_type is not None
    ):
        changes["detail"] = build(outcome.event_type.model, envelope.detail)
    violation = outcome.violation
    inside = personal_under(personal, violation.path) if violation is not None else {}
    if violation is not None and inside:
        seen = violation.value
        if seen is None and outcome.envelope is not None:  # the check names only the path
            seen = value_at({"detail": outcome.envelope.detail}, violation.path)
        value = mask_under(seen, inside)
        pairs = shown_pairs(seen, value)
        changes["violation"] = dataclasses.replace(
            violation,
            value=value if violation.value is not None else None,
            message=digits_masked(replace_all(violation.message, pairs)),
        )
        changes["message"] = digits_masked(replace_all(outcome.message, pairs))
    return dataclasses.replace(outcome, **changes) if changes else outcome


_PATH_PART = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")
_DIGIT_RUN = re.compile(r"\d{4,}")


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path (detail.contact.callerId, detail.tags[2].x), or None."""
    value = document
    for index, key in _PATH_PART.findall(path):
        if index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        elif key and isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def digits_masked(text: str) -> str:
    """A message about a personal value: any run of digits left in it keeps its last three."""
    return _DIGIT_RUN.sub(lambda m: f"{MASK}{m.group()[-3:]}", text)


def shown_pairs(before: Any, after: Any) -> list[tuple[str, str]]:
    """How a value and its masked copy read in a message: whole (repr, JSON), then leaf by leaf.
    Nothing when nothing in the value was masked (mask_personal returns it as it is)."""
    if before is after:
        return []
    pairs = []
    try:
        pairs.append((repr(before), repr(after)))
        pairs.append(
            (json.dumps(before, ensure_ascii=False), json.dumps(after, ensure_ascii=False))
        )
    except (TypeError, ValueError, RecursionError):  # too deep to write whole: leaves only
        pass
    for old, new in zip(leaves(before), leaves(after), strict=False):
        pairs += [(repr(old), repr(new)), (str(old), str(new))]
    return [(old, new) for old, new in pairs if len(old) > 3 and old != new]


def replace_all(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text
