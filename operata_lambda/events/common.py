"""What every event type shares: the Model base, its camelCase configuration, the parts
several details use (Stats, ContactId, ...), the EventBridge envelope, and EventType (the
registry entry each type module declares).

JSON names are camelCase and attributes snake_case. Every field is optional except the
identifiers the schemas require, so an event lacking a metric still builds (and shows n/a).

dataclasses-json (which imports marshmallow, importlib.metadata and packaging: a large part
of a cold start, docs/performance.md) is imported when a model's to_dict, from_dict, to_json,
from_json or schema is first called, not by `import handler`: the hot path builds models with
events.builders, from the same configuration (the letter case and the field metadata below,
as dataclasses_json.config writes them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")


def parse_time(value: str) -> datetime:
    """RFC 3339 text (with its offset) -> a datetime in UTC; ValueError for anything else."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first UTC instant
        raise ValueError(f"{value!r} is out of range") from None


def camel_case(name: str) -> str:
    """dataclasses-json's LetterCase.CAMEL (its stringcase.camelcase), without importing it."""
    name = re.sub(r"^[\-_\.]", "", name)
    if not name:
        return name
    return name[0].lower() + re.sub(
        r"[\-_\.\s]([a-z0-9])", lambda matched: matched.group(1).upper(), name[1:]
    )


def config(
    *,
    field_name: str | None = None,
    encoder: Any = None,
    decoder: Any = None,
) -> dict[str, dict[str, Any]]:
    """The field metadata `dataclasses_json.config(...)` makes for these keywords."""
    settings: dict[str, Any] = {}
    if encoder is not None:
        settings["encoder"] = encoder
    if decoder is not None:
        settings["decoder"] = decoder
    if field_name is not None:

        def override(_: str, _field_name: str = field_name) -> str:
            return _field_name

        settings["letter_case"] = override
    return {"dataclasses_json": settings}


if TYPE_CHECKING:
    from dataclasses_json import DataClassJsonMixin as _JsonMixin
else:

    class _JsonMixin:
        """DataClassJsonMixin's methods, each importing dataclasses-json on its first call."""

        dataclass_json_config = None

        def to_json(self, **kw):
            return _mixin().to_json(self, **kw)

        @classmethod
        def from_json(cls, s, **kw):
            return _mixin().from_json.__func__(cls, s, **kw)

        @classmethod
        def from_dict(cls, kvs, **kw):
            return _mixin().from_dict.__func__(cls, kvs, **kw)

        def to_dict(self, encode_json=False):
            return _mixin().to_dict(self, encode_json)

        @classmethod
        def schema(cls, **kw):
            return _mixin().schema.__func__(cls, **kw)


def _mixin() -> Any:
    from dataclasses_json import DataClassJsonMixin

    if not issubclass(Model, DataClassJsonMixin):
        DataClassJsonMixin.register(Model)  # as a subclass of the mixin would be
    return DataClassJsonMixin


_CAMEL = {"letter_case": camel_case}  # config(letter_case=LetterCase.CAMEL)["dataclasses_json"]


class Model(_JsonMixin):
    """Base of every model: camelCase JSON names for snake_case attributes."""

    dataclass_json_config = _CAMEL


# --- shared parts ------------------------------------------------------------------------


@dataclass
class Stats(Model):
    """Minimum, maximum and average of a metric over the call."""

    min: float | None = None
    max: float | None = None
    avg: float | None = None


@dataclass
class AccountProperties(Model):
    """The Operata group (tenant) the event belongs to."""

    operata_group_name: str | None = None
    operata_group_id: str | None = None


@dataclass
class ContactId(Model):
    """Amazon Connect contact ids: this contact and its transfer neighbours."""

    current: str
    previous: str | None = None
    next: str | None = None


@dataclass
class Browser(Model):
    """The agent's browser."""

    name: str | None = None
    version: str | None = None


# --- the envelope ------------------------------------------------------------------------


@dataclass
class Envelope(Model):
    """The EventBridge event around a detail; `detail` stays a dict until its type is known."""

    id: str
    detail_type: str = field(default="", metadata=config(field_name="detail-type"))
    source: str = ""
    time: datetime = field(
        default=datetime.min.replace(tzinfo=UTC),
        metadata=config(decoder=parse_time, encoder=datetime.isoformat),
    )
    detail: dict[str, Any] = field(default_factory=dict)
    version: str | None = None
    account: str | None = None
    region: str | None = None
    resources: list[str] | None = None


# --- the registry entry of a detail-type -------------------------------------------------


class Treatment(StrEnum):
    """What the log shows of a personal field when redaction is on (docs/personal-data.md)."""

    PHONE = "phone"  # the country code and the last three digits: +61*******149
    ADDRESS = "address"  # an IP address: [IPv4] or [IPv6]; anything else [redacted]
    URL = "url"  # the scheme and the host: https://host/[redacted]
    LAST_THREE = "last three"  # the last three characters: *******3D4
    HIDDEN = "hidden"  # [redacted]
    FREE_TEXT = "free text"  # shown, with the free-text patterns masked (numbers, emails, IPs)
    SHOWN = "shown"  # shown as it is (the free-text patterns still apply)


@dataclass(frozen=True)
class TypeMetrics:
    """A detail-type's own metrics, in the batch's EMF document (the metrics sink writes them)."""

    counts: tuple[str, ...]  # Count metrics, written every batch: 0 when no record adds to one
    values: tuple[str, ...]  # written as the list of every record's value (unit None), e.g. MOS
    # a processed record's summary -> {count name: 1, value name: its value}; names it leaves
    # out add nothing (a call without a MOS)
    measure: Callable[[dict[str, Any]], dict[str, float]]


@dataclass(frozen=True)
class EventType:
    """Everything the pipeline and the sinks need for one Operata detail-type.

    Each type module (insights_summary.py, the call_summary package, ...) declares one as
    EVENT_TYPE; registry.py collects them. The schema is found by the same name in schemas/
    (validation.schemas).
    """

    detail_type: str  # as Operata sends it in `detail-type`: "CallSummary"
    title: str  # as shown in reports: "Call Summary"
    model: type[Any]  # the dataclass the detail is built into
    render: Callable[[Any], list[str]]  # the model -> the text block's lines
    summarise: Callable[[Any], dict[str, Any]]  # the model -> the JSON line's fields
    metrics: TypeMetrics | None = None  # the type's own metrics; None: the common counts only
    # The personal fields, by dotted path in the detail ([] for an array's items), and what
    # the log shows of each when redaction is on (docs/personal-data.md says why).
    personal: Mapping[str, Treatment] = field(default_factory=dict)
