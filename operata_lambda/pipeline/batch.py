"""The batch loop: one outcome per record, in order, never raising.

examine() decides what a record is (pure: no I/O). process() gives each outcome to the sinks
(the contract, and what their failures mean: sinks/base.py) and yields it, and stops early,
reporting the rest as failed, when a sink cannot keep a record or the invocation is running
out of time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import Any

from operata_lambda.events.builders import build
from operata_lambda.events.common import Envelope
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.kinesis import DecodeError, KinesisRecord, decode, is_operata_source
from operata_lambda.pipeline.outcomes import Outcome, Reason, Status
from operata_lambda.sinks.base import Quarantine, Sink, Sinks, SinkUnavailable, Write
from operata_lambda.validation.schemas import SchemaSet


def examine(
    record: KinesisRecord, schemas: SchemaSet, out_of_time: Callable[[], bool] | None = None
) -> Outcome:
    """Decode, check and type one record. Every failure becomes a rejected outcome.
    `out_of_time()` bounds the explanation of a rejection (validation/reference.py)."""
    try:
        return _examine(record, schemas, out_of_time)
    except Exception as exc:  # a bug must cost one record, not the shard
        return _rejected(record, Reason.PROCESSING_ERROR, f"{type(exc).__name__}: {exc}")


def _rejected(record: KinesisRecord, reason: str, message: str, **extra: Any) -> Outcome:
    return Outcome(record, Status.REJECTED, reason, message, **extra)


def _examine(
    record: KinesisRecord, schemas: SchemaSet, out_of_time: Callable[[], bool] | None
) -> Outcome:
    try:
        event = decode(record.data)
    except DecodeError as exc:
        return _rejected(record, exc.reason, exc.message)

    envelope_schema = schemas.envelope()
    violation, _ = envelope_schema.check(event, out_of_time=out_of_time)
    if violation is not None:
        return _rejected(
            record,
            Reason.NOT_EVENTBRIDGE,
            f"not an EventBridge event: {violation}",
            violation=violation,
            source=str(event.get("source", "")),
        )
    source = event["source"]
    detail_type = event["detail-type"]
    if not is_operata_source(source):
        return Outcome(record, Status.SKIPPED, Reason.NOT_OPERATA, source=source)
    try:
        envelope = build(Envelope, event)  # parses `time`, the one field it converts
    except ValueError:
        return _rejected(
            record,
            Reason.NOT_EVENTBRIDGE,
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
    violation, has_new_fields = schema.check(envelope.detail, out_of_time=out_of_time)
    if violation is not None:
        return _rejected(
            record,
            Reason.SCHEMA_INVALID,
            str(violation),
            violation=violation,
            envelope=envelope,
            detail_type=detail_type,
            source=source,
            schema_version=schema.version,
        )
    new_fields = []
    if has_new_fields:
        from operata_lambda.validation.drift import compare  # only for drift: not at cold start

        new_fields = compare(schema.document, envelope.detail, first_only=True)[0]
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
    sinks: Sinks,
    schemas: SchemaSet,
    *,
    time_left_ms: Callable[[], int] | None = None,
    margin_ms: int = 0,
) -> Iterator[Outcome]:
    """One outcome per record, in order, given to the sinks as sinks/base.py says; then the
    sinks' flush.

    Outcomes are yielded as they are decided, so a caller that keeps only the failed ones lets
    each record's event and model be freed at once. A shard is ordered and Lambda retries from
    the lowest failed sequence number, so after the first failure nothing more is done: the
    rest is reported as failed too, and retried. When a flush leaves records not made durable,
    their final (failed) outcomes are yielded after the others: a record's last outcome is
    the one that counts.
    """
    outputs = _in_writing_order(sinks.outputs)
    for sink in outputs:
        with suppress(SinkUnavailable):  # a report that cannot write: the records' lines fail
            sink.begin(len(records))
    done = len(records)  # records before this index have their outcome; the rest failed

    def out_of_time() -> bool:
        return time_left_ms is not None and time_left_ms() < margin_ms

    for index, record in enumerate(records):
        if out_of_time():
            yield from _fail(
                outputs, records[index:], Reason.DEADLINE, "too little time left to continue"
            )
            done = index
            break
        try:
            outcome = _deliver(examine(record, schemas, out_of_time), sinks.quarantine, outputs)
        except Exception as exc:  # a sink could not keep it, or could not even keep the bug
            reason = (
                Reason.unavailable(exc.sink)
                if isinstance(exc, SinkUnavailable)
                else Reason.PROCESSING_ERROR
            )
            yield from _fail(outputs, [record], reason, str(exc))
            yield from _fail(
                outputs, records[index + 1 :], Reason.AFTER_FAILURE, "an earlier record failed"
            )
            done = index
            break
        yield outcome
    yield from _flush(outputs, records[:done])


def _deliver(outcome: Outcome, quarantine: Quarantine, outputs: Sequence[Sink]) -> Outcome:
    """The quarantine keeps a rejected outcome, then every output takes and writes it.

    When the code fails on an outcome while an output takes it (a rendering bug, not a sink's
    I/O), nothing has been written for it yet: the record is rejected as processing_error
    instead, and that outcome is kept and taken.
    """
    writes: list[Write] = []
    if outcome.status is not Status.REJECTED:
        try:
            writes = [sink.take(outcome) for sink in outputs]
        except Exception as exc:
            outcome = _rejected(
                outcome.record,
                Reason.PROCESSING_ERROR,
                f"rendering failed: {type(exc).__name__}: {exc}",
                envelope=outcome.envelope,
                detail_type=outcome.detail_type,
                source=outcome.source,
                schema_version=outcome.schema_version,
            )
    if outcome.status is Status.REJECTED:
        outcome = replace(outcome, kept_at=quarantine.keep(outcome))
        writes = [sink.take(outcome) for sink in outputs]
    for sink, write in zip(outputs, writes, strict=True):
        if sink.fails_records:
            write()
        else:
            with suppress(Exception):  # a lost metrics count changes no outcome
                write()
    return outcome


def _in_writing_order(outputs: Sequence[Sink]) -> list[Sink]:
    """The sinks that may fail a record first: one that never does sees only final outcomes."""
    return sorted(outputs, key=lambda sink: not sink.fails_records)


def _fail(
    outputs: Sequence[Sink], records: Iterable[KinesisRecord], reason: str, message: str
) -> list[Outcome]:
    """Failed for retry. Their lines are written where possible; failing to cannot change that."""
    failed = [Outcome(r, Status.FAILED, reason, message) for r in records]
    for outcome in failed:
        for sink in outputs:
            with suppress(Exception):
                sink.take(outcome)()
    return failed


def _flush(outputs: Sequence[Sink], decided: Sequence[KinesisRecord]) -> Iterator[Outcome]:
    """Every sink's flush, those that may fail a record first. Records a sink had not made
    durable fail from the first of them on (among `decided`, those not failed already); a
    flush that raises anything else fails them all."""
    for sink in outputs:
        try:
            sink.flush()
        except Exception as exc:
            if not sink.fails_records:
                continue  # a lost metrics line changes no outcome
            if isinstance(exc, SinkUnavailable):
                first, reason = _first_of(decided, exc.records), Reason.unavailable(sink.name)
            else:  # a bug: which records it held is unknown, so none of them counts as kept
                first, reason = 0, Reason.PROCESSING_ERROR
            if first is None or not decided:
                continue
            yield from _fail(outputs, decided[first:], reason, str(exc))
            decided = decided[:first]


def _first_of(records: Sequence[KinesisRecord], lost: Sequence[KinesisRecord]) -> int | None:
    """The position in `records` of the first of `lost` (the same record objects)."""
    wanted = {id(record) for record in lost}
    return next((i for i, record in enumerate(records) if id(record) in wanted), None)


def batch_item_failures(outcomes: Iterable[Outcome]) -> list[dict[str, str]]:
    """Lambda's partial batch response for a stream: the failed records' sequence numbers.

    A failed record without a sequence number keeps an empty identifier, which Lambda reads as
    "the whole batch failed": retried, rather than silently counted as a success.
    """
    return [
        {"itemIdentifier": o.record.sequence_number} for o in outcomes if o.status is Status.FAILED
    ]
