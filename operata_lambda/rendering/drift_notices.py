"""Schema drift is told once per detail-type and field path per container, not per record."""

from __future__ import annotations

from operata_lambda.pipeline.outcomes import Outcome
from operata_lambda.validation.drift import NewField


class DriftNotices:
    """The new fields not yet told; a warm Lambda container keeps one of these."""

    def __init__(self) -> None:
        self._told: set[tuple[str, str]] = set()

    def untold(self, outcome: Outcome) -> list[NewField]:
        fresh = []
        for field in outcome.new_fields:
            key = (outcome.detail_type, field.path)
            if key not in self._told:
                self._told.add(key)
                fresh.append(field)
        return fresh
