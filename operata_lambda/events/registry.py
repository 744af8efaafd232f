"""Every Operata detail-type this project knows, found by its name: EVENT_TYPES.

Each type lives in one module of this package (its model, text block, summary and an
EVENT_TYPE entry); its schema is schemas/<detail-type>.json. Adding a type:
`python -m operata schemas update --new-type samples/` writes the module, its lines below, the
schema and the sample in events/source/; then `make fixtures`. Every other list of types
(tests, bench, fixture scripts) reads EVENT_TYPES.
"""

from __future__ import annotations

from operata_lambda.events import (
    agent_reported_issue,
    call_summary,
    headset_summary,
    insights_summary,
)
from operata_lambda.events.common import EventType

__all__ = ["EVENT_TYPES", "OTHER_TYPE", "TYPE_MODULES", "EventType", "known_or_other"]

# One line per type, in the order reports and fixtures list them (the new-type scaffold adds one)
TYPE_MODULES = (
    call_summary,
    insights_summary,
    agent_reported_issue,
    headset_summary,
)

EVENT_TYPES: dict[str, EventType] = {
    module.EVENT_TYPE.detail_type: module.EVENT_TYPE for module in TYPE_MODULES
}

# What metrics and archive rows call a detail-type with no model (a type Operata added).
OTHER_TYPE = "Other"


def known_or_other(detail_type: str) -> str:
    """The detail-type itself when a module models it, else Other."""
    return detail_type if detail_type in EVENT_TYPES else OTHER_TYPE
