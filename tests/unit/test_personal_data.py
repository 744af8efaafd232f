"""docs/personal-data.md lists every personal field of every Operata type, as the types declare
them (EventType.personal), every path is in the type's schema, and every value a masking
treatment covers is masked whatever its shape."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from operata_lambda.config import Settings
from operata_lambda.events.common import Treatment
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.rendering.redact import mask_personal, mask_value, redact
from tests.helpers import ROOT, SOURCES, encode, records_of, run_batch
from tests.unit.test_hostile import put

TABLE = ROOT / "docs" / "personal-data.md"
ROW = re.compile(r"^\| (\w+) \| `([^`]+)` \| ([a-z ]+) \| .+ \|$")
# Keys that name personal data wherever they appear in a schema (the whole key, or a camelCase
# ending such as internetGatewayIp): each must be declared.
PERSONAL_WORDS = re.compile(
    r"(?i:callerid|phone|email|serialnumber|city|region|country|username|friendlyname|fqdn"
    r"|deviceid|groupid|label|isp|agent|message|ip|url)|.*(?:Ip|IpAddress|Url|Phone|Email)"
)


def documented() -> set[tuple[str, str, Treatment]]:
    rows = [ROW.match(line) for line in TABLE.read_text().splitlines()]
    return {(m[1], m[2], Treatment(m[3])) for m in rows if m and m[1] in EVENT_TYPES}


def schema_paths(schema: Any, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, child in (schema.get("properties") or {}).items():
        path = f"{prefix}.{key}" if prefix else key
        found.add(path)
        if isinstance(child, dict):
            found |= schema_paths(child, path)
    items = schema.get("items")
    if isinstance(items, dict):
        found |= schema_paths(items, f"{prefix}[]")
    return found


def schema_of(detail_type: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "schemas" / f"{detail_type}.json").read_text()))


def test_the_table_is_the_declarations() -> None:
    declared = {(t, p, tr) for t, et in EVENT_TYPES.items() for p, tr in et.personal.items()}
    assert documented() == declared


@pytest.mark.parametrize("detail_type", sorted(EVENT_TYPES))
def test_every_declared_path_is_in_the_schema(detail_type: str) -> None:
    paths = schema_paths(schema_of(detail_type))
    assert set(EVENT_TYPES[detail_type].personal) <= paths


@pytest.mark.parametrize("detail_type", sorted(EVENT_TYPES))
def test_every_field_named_like_personal_data_is_declared(detail_type: str) -> None:
    leaves = {
        p
        for p in schema_paths(schema_of(detail_type))
        if PERSONAL_WORDS.fullmatch(re.split(r"[.\[\]]+", p.rstrip("[]"))[-1])
    }
    assert leaves - set(EVENT_TYPES[detail_type].personal) == set()


SHAPES = [
    lambda v: v,
    lambda v: f"{v}*",
    lambda v: [v],
    lambda v: {"value": v},
    lambda v: [{"a": [v, v]}],
]
SECRET = {  # a value for each treatment that masks, and what of it must not be shown
    Treatment.PHONE: ("+61412345678", "1234"),
    Treatment.ADDRESS: ("10.40.30.108", "10.40.30"),
    Treatment.URL: ("https://x.awsapps.com/connect/ccp-v2/softphone#zqxjw", "zqxjw"),
    Treatment.LAST_THREE: ("QZXWVU07A1", "QZXWVU"),
    Treatment.HIDDEN: ("Zqxwvbn", "Zqxwvbn"),
}


@pytest.mark.parametrize("treatment", sorted(SECRET))
@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_a_masking_treatment_masks_every_shape(treatment: Treatment, shape: int) -> None:
    value, secret = SECRET[treatment]
    masked = mask_value(SHAPES[shape](value), treatment)
    assert secret not in json.dumps(masked)


def masked_cases() -> list[tuple[str, str, Treatment]]:
    samples = {p.stem for p in SOURCES.glob("*.json")}  # <DetailType>.json: each type's sample
    return [
        (t, path, tr)
        for t, et in sorted(EVENT_TYPES.items())
        for path, tr in et.personal.items()
        if tr in SECRET and t in samples
    ]


@pytest.mark.parametrize(("sample", "path", "treatment"), masked_cases())
@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("shape", [1, 2])  # extra characters (processed), a list (rejected)
def test_no_masked_value_reaches_any_line(
    sample: str, path: str, treatment: Treatment, log_format: str, shape: int
) -> None:
    event = json.loads((SOURCES / f"{sample}.json").read_text())
    value, secret = SECRET[treatment]
    put(event["detail"], path, SHAPES[shape](value))
    for level in ("INFO", "DEBUG"):
        settings = Settings(log_format=log_format, log_level=level, redact_pii=True)
        _, text = run_batch(records_of(encode(event)), settings)
        assert secret not in text, (path, level)


def test_mask_personal_copies_only_what_it_changes() -> None:
    detail = {"contact": {"callerId": "+61412345678", "queueName": "q"}, "other": {"x": 1}}
    masked = mask_personal(detail, EVENT_TYPES["CallSummary"].personal)
    assert masked["contact"]["callerId"] == redact("+61412345678")
    assert masked["other"] is detail["other"]
    assert detail["contact"]["callerId"] == "+61412345678"


def test_mask_personal_returns_a_value_with_nothing_to_mask_as_it_is() -> None:
    """A rejected value where an object was expected (a list nested deep): nothing in it is
    masked, so nothing is copied, and the messages need no search for it."""
    personal = EVENT_TYPES["CallSummary"].personal
    nested: Any = "x"
    for _ in range(200):
        nested = [nested]
    detail = {"contact": nested, "webRTCSession": {"usedDevices": [[{"kind": "audio"}]]}}
    assert mask_personal(detail, personal)["contact"] is nested
    assert mask_personal(detail, personal)["webRTCSession"] is detail["webRTCSession"]
