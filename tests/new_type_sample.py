"""Sample events of a detail-type the project does not know, for the new-type scaffold's tests:
nested objects, a list of objects, a list of text, whole and fractional numbers, true/false,
null, an empty object, keys that are not camelCase or are Python keywords, and keys the JSON
line writes itself."""

from __future__ import annotations

import copy
from typing import Any

from tests.helpers import source_event

NEW_TYPE = "AgentQueueHealth"
MODULE = "agent_queue_health"

DETAIL: dict[str, Any] = {
    "contact": {"contactId": "c0ffee00-1111-2222-3333-444455556666", "queue": {"name": "Sales"}},
    "queueName": "Support",
    "agentsAvailable": 4,
    "longestWaitSec": 95.5,
    "healthy": True,
    "tags": ["peak", "overflow"],
    "agents": [{"name": "Andy", "calls": 3, "stats": {"avgHandleSec": 181.5}}],
    "webRTCSession": {"jitter-ms": 3, "class": "premium", "schema": 2},
    "nothing": None,
    "extras": {},
    "message": "a value under a key the JSON line writes itself",
}


def new_type_event(event_id: str = "a9e0c0de-0000-4000-8000-000000000001") -> dict[str, Any]:
    event = source_event("CallSummary")
    event["id"] = event_id
    event["detail-type"] = NEW_TYPE
    event["detail"] = copy.deepcopy(DETAIL)
    return event


def leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path, value) of every text, number and true/false in a detail, lists included."""
    if isinstance(value, dict):
        return [leaf for key, child in value.items() for leaf in leaves(child, (*path, key))]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item, path)]
    return [] if value is None else [(path, value)]
