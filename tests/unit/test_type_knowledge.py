"""What a detail-type knows stays in its module under operata_lambda/events/: no other part of
the runtime names a type."""

from __future__ import annotations

import re

from operata_lambda.events.registry import EVENT_TYPES
from tests.helpers import ROOT, SOURCES

RUNTIME = ROOT / "operata_lambda"
TYPE_HOME = RUNTIME / "events"


def type_names() -> set[str]:
    """Every detail-type and title the project knows: the registry's and the samples'."""
    names = set()
    for event_type in EVENT_TYPES.values():
        names |= {event_type.detail_type, event_type.title}
    names |= {path.stem.split("-")[0] for path in SOURCES.glob("*.json")}
    return names


def test_no_runtime_module_outside_events_names_a_detail_type() -> None:
    names = type_names()
    assert len(names) > len(EVENT_TYPES)
    pattern = re.compile("|".join(rf"\b{re.escape(name)}\b" for name in sorted(names)))
    found = []
    for path in sorted(RUNTIME.rglob("*.py")):
        if path.is_relative_to(TYPE_HOME):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
