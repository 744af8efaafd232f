"""Hostile records of 100 KB to 1 MB, each of a kind that once cost far more than its size:
a huge array all wrong, a field nested deep, tens of thousands of new keys, long strings, a
type with no schema, every field of the wrong type. Built from the CallSummary sample."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bench.workload import SOURCES

KB = 1024


def _sample() -> dict[str, Any]:
    return json.loads((SOURCES / "CallSummary.json").read_bytes())  # type: ignore[no-any-return]


def _fill(size: int, one: Callable[[int], Any]) -> list[Any]:
    """As many items of `one(index)` as make about `size` bytes of JSON."""
    width = len(json.dumps(one(0))) + 2
    return [one(i) for i in range(max(1, size // width))]


def huge_wrong_array(size: int) -> dict[str, Any]:
    """A known array whose every item has the wrong type (jsonschema would list them all)."""
    event = _sample()
    event["detail"].setdefault("webRTCSession", {})["usedDevices"] = [1] * (size // 3)
    return event


def deep_new_field(size: int) -> dict[str, Any]:
    """A new field nested 900 levels deep (the decoder reads about 1,000), padded to size."""
    event = _sample()
    nested: Any = "x" * max(0, size - 4 * KB)
    for _ in range(900):
        nested = [nested]
    event["detail"]["contact"]["deepNewField"] = nested
    return event


def deep_wrong_value(size: int) -> dict[str, Any]:
    """A known object replaced by a deeply nested list: rejected, and its value is shown."""
    event = _sample()
    nested: Any = "x" * max(0, size - 4 * KB)
    for _ in range(900):
        nested = [nested]
    event["detail"]["contact"] = nested
    return event


def many_new_keys(size: int) -> dict[str, Any]:
    """Tens of thousands of new keys in one object (each is schema drift)."""
    event = _sample()
    contact = event["detail"]["contact"]
    for index in range(size // 17):
        contact[f"k{index:07d}"] = index
    return event


def many_wrong_objects(size: int) -> dict[str, Any]:
    """A known array of objects, each with every field of the wrong type."""
    event = _sample()
    devices = event["detail"].setdefault("webRTCSession", {})
    devices["usedDevices"] = _fill(size, lambda i: {"kind": i, "label": i, "deviceId": [i]})
    return event


def long_strings(size: int) -> dict[str, Any]:
    """Known text fields of hundreds of kilobytes."""
    event = _sample()
    event["detail"]["contact"]["queueName"] = "q" * (size // 2)
    event["detail"]["serviceAgent"]["username"] = "a" * (size // 2)
    return event


def unknown_type(size: int) -> dict[str, Any]:
    """A detail-type with no schema: shown as it is (raw JSON), with many keys and values."""
    event = _sample()
    event["detail-type"] = "BenchNoSuchType"
    event["detail"] = {"items": _fill(size, lambda i: {"id": i, "text": f"value {i}"})}
    return event


KINDS: dict[str, Callable[[int], dict[str, Any]]] = {
    "huge array, every item wrong": huge_wrong_array,
    "array of objects, every field wrong": many_wrong_objects,
    "new field 900 levels deep": deep_new_field,
    "known object as 900 nested lists": deep_wrong_value,
    "tens of thousands of new keys": many_new_keys,
    "long strings in known fields": long_strings,
    "type with no schema": unknown_type,
}
SIZES = (100 * KB, 1000 * KB)


def records() -> dict[str, bytes]:
    """Every kind at every size: name -> the EventBridge event's bytes."""
    found = {}
    for kind, build in KINDS.items():
        for size in SIZES:
            found[f"{kind} ({size // KB} KB)"] = json.dumps(build(size)).encode()
    return found
