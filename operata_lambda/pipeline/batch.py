"""The batch loop: one outcome per record, in order, never raising.

examine() decides what a record is (pure: no I/O). process() gives each outcome to the sinks
(quarantine, report, metrics: see sinks/base.py for what their failures mean) and yields it,
and stops early, reporting the rest as failed, when a sink cannot take a record or the
invocation is running out of time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from typing import Any

from operata_lambda.events.builders import build
from operata_lambda.events.common import Envelope
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.kinesis import DecodeError, KinesisRecord, decode, is_operata_source
from operata_lambda.pipeline.outcomes import Outcome, Status
from operata_lambda.sinks.base import Sink, SinkUnavailable
from operata_lambda.validation.schemas import SchemaSet


def examine(record: KinesisRecord, schemas: SchemaSet) -> Outcome:
    """Decode, check and type one record. Every failure becomes a rejected outcome."""
    try:
        return _examine(record, schemas)
    except Exception as exc:  # a bug must cost one record, not the shard
        return _rejected(record, "processing_error", f"{type(exc).__name__}: {exc}")


def _rejected(record: KinesisRecord, reason: str, message: str, **extra: Any) -> Outcome:
    return Outcome(record, Status.REJECTED, reason, message, **extra)


def _examine(record: KinesisRecord, schemas: SchemaSet) -> Outcome:
    try:
        event = decode(record.data)
    except DecodeError as exc:
        return _rejected(record, exc.reason, exc.message)

    envelope_schema = schemas.envelope()
    violation, _ = envelope_schema.check(event)
    if violation is not None:
        return _rejected(
            record,
            "not_eventbridge",
            f"not an EventBridge event: {violation}",
            violation=violation,
            source=str(event.get("source", "")),
        )
    source = event["source"]
    detail_type = event["detail-type"]
    if not is_operata_source(source):
        return Outcome(record, Status.SKIPPED, "not_operata", source=source)
    try:
        envelope = build(Envelope, event)  # parses `time`, the one field it converts
    except ValueError:
        return _rejected(
            record,
            "not_eventbridge",
            f"time: {event['time']!r} is not an RFC 3339 timestamp",
            source=source,
            detail_type=detail_type,
        )
    event_type = EVENT_TYPES.get(detail_type)
    schema = schemas.for_detail_type(detail_type) if event_type else None
    if event_type is None or schema is None:
        # A type Operata added: shown as it is, never an error.
        return Outcome(
            record,
            Status.PROCESSED,
            envelope=envelope,
            detail_type=detail_type,
            source=source,
            detail=envelope.detail,
        )
    violation, has_new_fields = schema.check(envelope.detail)
    if violation is not None:
        return _rejected(
            record,
            "schema_invalid",
            str(violation),
            violation=violation,
            envelope=envelope,
            detail_type=detail_type,
            source=source,
            schema_version=schema.version,
        )
    new_fields = []
    if has_new_fields:
        from operata_lambda.validation.drift import (  # only for drift: not at cold start
            compare,
            unique_new_fields,
        )

        new_fields = unique_new_fields(compare(schema.document, envelope.detail)[0])
    return Outcome(
        record,
        Status.PROCESSED,
        envelope=envelope,
        detail_type=detail_type,
        source=source,
        event_type=event_type,
        detail=build(event_type.model, envelope.detail),
        schema_version=schema.version,
        new_fields=new_fields,
    )


def process(
    records: Sequence[KinesisRecord],
    sinks: Sequence[Sink],
    schemas: SchemaSet,
    *,
    time_left_ms: Callable[[], int] | None = None,
    margin_ms: int = 0,
) -> Iterator[Outcome]:
    """One outcome per record, in order, each given to every sink; then the sinks' flush.

    Outcomes are yielded as they are decided, so a caller that keeps only the failed ones lets
    each record's event and model be freed at once. A shard is ordered and Lambda retries from
    the lowest failed sequence number, so after the first failure nothing more is done: the
    rest is reported as failed too, and retried.
    """
    stop = len(records)  # records[:stop] were given to the sinks; the rest failed already
    for index, record in enumerate(records):
        if time_left_ms is not None and time_left_ms() < margin_ms:
            stop = index
            yield from _fail(sinks, records[index:], "deadline", "too little time left to continue")
            break
        try:
            outcome = _deliver(examine(record, schemas), sinks)
        except Exception as exc:  # a sink could not take it, or could not even keep the bug
            reason = (
                f"{exc.sink}_unavailable"
                if isinstance(exc, SinkUnavailable)
                else "processing_error"
            )
            stop = index
            yield from _fail(sinks, [record], reason, str(exc))
            yield from _fail(
                sinks, records[index + 1 :], "after_failure", "an earlier record failed"
            )
            break
        yield outcome
    yield from _flush(sinks, records[:stop])


def _flush(sinks: Sequence[Sink], given: Sequence[KinesisRecord]) -> Iterator[Outcome]:
    """Each sink's flush. A sink that could not make some records durable (the archive) names
    them: they are failed for retry, from the first of them on, before the later sinks flush."""
    for sink in sinks:
        try:
            sink.flush()
        except SinkUnavailable as exc:
            held = {id(record) for record in exc.records}
            first = next((i for i, r in enumerate(given) if id(r) in held), len(given))
            yield from _fail(sinks, given[first:], f"{exc.sink}_unavailable", str(exc))
            given = given[:first]
        except Exception:  # the outcomes stand: a lost metrics line cannot change them
            pass


def _deliver(outcome: Outcome, sinks: Sequence[Sink]) -> Outcome:
    """Give the outcome to every sink. When the code fails on it (a rendering bug, not a sink's
    I/O), the record is rejected as processing_error, and that outcome is given instead."""
    try:
        _give(outcome, sinks)
        return outcome
    except SinkUnavailable:
        raise
    except Exception as exc:
        rejected = _rejected(
            outcome.record,
            "processing_error",
            f"rendering failed: {type(exc).__name__}: {exc}",
            envelope=outcome.envelope,
            detail_type=outcome.detail_type,
            source=outcome.source,
            schema_version=outcome.schema_version,
        )
        _give(rejected, sinks)
        return rejected


def _give(outcome: Outcome, sinks: Sequence[Sink]) -> None:
    for sink in sinks:
        sink.take(outcome)


def _fail(
    sinks: Sequence[Sink], records: Iterable[KinesisRecord], reason: str, message: str
) -> list[Outcome]:
    """Failed for retry. Their lines are written where possible; failing to cannot change that."""
    failed = [Outcome(r, Status.FAILED, reason, message) for r in records]
    for outcome in failed:
        for sink in sinks:
            with suppress(Exception):
                sink.take(outcome)
    return failed


def batch_item_failures(outcomes: Iterable[Outcome]) -> list[dict[str, str]]:
    """Lambda's partial batch response for a stream: the failed records' sequence numbers.

    A failed record without a sequence number keeps an empty identifier, which Lambda reads as
    "the whole batch failed": retried, rather than silently counted as a success.
    """
    return [
        {"itemIdentifier": o.record.sequence_number} for o in outcomes if o.status is Status.FAILED
    ]
