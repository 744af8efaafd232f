"""Schema drift is told once per detail-type and field path per container, not per record.

Bounded both ways: a record names at most MAX_NAMED new fields (the report adds "and N more";
the others are named by later records), and the container remembers at most CAPACITY told
fields (the oldest are forgotten first, and told again if they come back). A field counts as
told only once its warning is written, so a warning lost with its line is written on retry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from operata_lambda.pipeline.outcomes import Outcome
from operata_lambda.validation.drift import NewField

MAX_NAMED = 20  # new fields named per record
CAPACITY = 10_000  # told fields a warm container remembers


class DriftNotices:
    """The new fields already told; a warm Lambda container keeps one of these."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._told: OrderedDict[tuple[str, str], None] = OrderedDict()

    def untold(self, outcome: Outcome) -> list[NewField]:
        """The record's new fields not told yet (they are not marked told here)."""
        return [f for f in outcome.new_fields if (outcome.detail_type, f.path) not in self._told]

    def told(self, detail_type: str, fields: Iterable[NewField]) -> None:
        """Mark fields told, once their warnings are written."""
        for f in fields:
            key = (detail_type, f.path)
            self._told[key] = None
            self._told.move_to_end(key)
        while len(self._told) > self.capacity:
            self._told.popitem(last=False)
