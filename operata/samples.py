"""Sample events for `schemas diff` and `schemas update`, from whatever a user has at hand.

A sample file may be an EventBridge event, a Lambda Kinesis event (as in events/), a quarantine
entry (operata_lambda/sinks/quarantine.py), a log file holding quarantine lines or DEBUG
envelope lines, or a folder of them (recursive). Unreadable inputs are collected, not
raised, so that every one can be named.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operata_lambda.pipeline.kinesis import DecodeError, decode

SAMPLE_SUFFIXES = {".json", ".jsonl", ".log", ".txt"}


@dataclass(frozen=True)
class Sample:
    where: str  # the file, and the record within it when there are several
    event: dict[str, Any]


@dataclass
class Samples:
    events: list[Sample] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "file: why"


def read_samples(paths: Iterable[str | Path]) -> Samples:
    """Every EventBridge event the paths hold; what could not be read, named."""
    found = Samples()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix in SAMPLE_SUFFIXES
            )
            if not files:
                found.unreadable.append(f"{path}: no sample files (*.json, *.jsonl, *.log)")
            for file in files:
                read_file(file, found)
        elif path.is_file():
            read_file(path, found)
        else:
            found.unreadable.append(f"{path}: no such file or folder")
    return found


def read_file(path: Path, found: Samples, label: str | None = None) -> None:
    label = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        found.unreadable.append(f"{label}: cannot read: {exc}")
        return
    try:
        document = json.loads(text)
    except RecursionError:
        found.unreadable.append(f"{label}: JSON nested too deeply to parse")
        return
    except ValueError:  # maybe a log file: its lines are looked at one by one
        document = None
    if document is not None:
        _classify_all(document, label, found)
        return
    before = len(found.events)
    for number, line in enumerate(text.splitlines(), 1):
        logged = _logged_document(line)
        if logged is not None:
            _classify_all(logged, f"{label}:{number}", found)
    if len(found.events) == before:
        found.unreadable.append(
            f"{label}: not JSON, and no quarantine or DEBUG envelope lines in it"
        )


def _logged_document(line: str) -> Any:
    """The quarantine entry or envelope a log line holds (text or JSON log format), or None."""
    start = line.find("{")
    if start < 0:
        return None
    try:  # whatever follows the object on the line (a CloudWatch export's columns) is ignored
        value, _ = json.JSONDecoder().raw_decode(line, start)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, dict) and (value.get("message") == "envelope" or "detail-type" in value):
        return value
    if isinstance(value, dict) and "data" in value and "reason" in value:
        return value
    return None


def _classify_all(document: Any, where: str, found: Samples) -> None:
    """_classify, with a document nested too deeply to walk named as unreadable, as a whole."""
    before = len(found.events)
    try:
        _classify(document, where, found)
    except RecursionError:
        del found.events[before:]
        found.unreadable.append(f"{where}: nested too deeply to read")


def _classify(document: Any, where: str, found: Samples) -> None:
    if isinstance(document, list):
        for index, item in enumerate(document):
            _classify(item, f"{where}[{index}]", found)
        return
    if not isinstance(document, dict):
        found.unreadable.append(f"{where}: a JSON {type(document).__name__}, not an event")
        return
    if isinstance(document.get("Records"), list):  # a Lambda Kinesis event
        for index, record in enumerate(document["Records"]):
            kinesis = record.get("kinesis") if isinstance(record, dict) else None
            data = kinesis.get("data") if isinstance(kinesis, dict) else None
            _decoded(data, f"{where} record {index}", found)
        return
    if document.get("message") == "envelope" and isinstance(document.get("envelope"), dict):
        _event(document["envelope"], where, found)  # a DEBUG envelope line (JSON log)
        return
    if "detail-type" in document:
        _event(document, where, found)
        return
    if "data" in document and ("entryVersion" in document or "reason" in document):
        _decoded(document["data"], where, found)  # a quarantine entry
        return
    found.unreadable.append(
        f"{where}: not an EventBridge event, Lambda Kinesis event or quarantine entry"
    )


def _decoded(data: Any, where: str, found: Samples) -> None:
    if not isinstance(data, str):
        found.unreadable.append(f"{where}: no base64 data")
        return
    try:
        _event(decode(data), where, found)
    except DecodeError as exc:
        found.unreadable.append(f"{where}: {exc.message}")


def _event(event: dict[str, Any], where: str, found: Samples) -> None:
    if not isinstance(event.get("detail-type"), str) or not isinstance(event.get("source"), str):
        found.unreadable.append(f"{where}: an event needs a detail-type and a source")
    elif not isinstance(event.get("detail"), dict):
        found.unreadable.append(f"{where}: the event has no detail object")
    else:
        found.events.append(Sample(where, event))
