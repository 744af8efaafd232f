"""PII redaction: caller numbers, IP addresses and softphone URLs never reach the log when
REDACT_PII is on (text and JSON lines, drift warnings, DEBUG envelopes, rejection messages),
and all of them do when it is off. The quarantine keeps records as they were delivered.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import handler
from operata.fixtures import kinesis_event
from operata_lambda import app
from operata_lambda.config import Settings
from operata_lambda.pipeline.batch import examine
from operata_lambda.pipeline.outcomes import Status
from operata_lambda.rendering import redact as redact_module
from operata_lambda.rendering.drift_notices import DriftNotices
from operata_lambda.rendering.redact import country_code_length, mask_phone, redact, redact_value
from operata_lambda.sinks.report import Report
from operata_lambda.validation.schemas import schema_set
from tests.helpers import (
    SOURCES,
    b64,
    encode,
    kept_entry,
    record_with_data,
    records_of,
    run_batch,
)


@pytest.fixture(autouse=True)
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(app, "CONTAINER", app.Container())
    for name in ["QUARANTINE_BUCKET", "LOG_LEVEL", "REDACT_PII", "LOG_FORMAT", "STAGE"]:
        monkeypatch.delenv(name, raising=False)
    yield


# --- the PII in the fixtures ----------------------------------------------------------------


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
    elif isinstance(value, str):
        yield key, value


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


SOURCE_EVENTS = {p.stem: json.loads(p.read_text()) for p in sorted(SOURCES.glob("*.json"))}
STRINGS = [kv for event in SOURCE_EVENTS.values() for kv in _strings(event)]
CALLER_NUMBERS = sorted({v for k, v in STRINGS if k == "callerId" and v})
IPS = sorted({v for _, v in STRINGS if _is_ip(v)})
SOFTPHONE_URLS = sorted({v for _, v in STRINGS if "softphone" in v and v.startswith("http")})
PII = CALLER_NUMBERS + IPS + SOFTPHONE_URLS


def test_the_fixtures_hold_the_pii_this_file_is_about() -> None:
    assert {"+61402960149", "+14155550123"} <= set(CALLER_NUMBERS)
    # private (10.x, 192.168.x), the gateway's public address, and a documentation range
    assert {"10.4.3.108", "192.168.1.12", "103.120.49.101", "198.51.100.23", "10.20.30.40"} <= set(
        IPS
    )
    assert SOFTPHONE_URLS


def _national_parts() -> list[str]:
    """The hidden middle of every caller number (e.g. 402960 of +61402960149)."""
    parts = []
    for number in CALLER_NUMBERS:
        digits = number.lstrip("+")
        parts.append(digits[country_code_length(digits) : -3])
    return parts


# --- a batch that puts PII in every kind of output ------------------------------------------


def pii_batch() -> list[bytes]:
    """Every fixture, plus records that carry PII into drift, rejections and the quarantine."""
    payloads = [encode(event) for event in SOURCE_EVENTS.values()]
    drifting = json.loads(json.dumps(SOURCE_EVENTS["CallSummary"]))
    drifting["id"] = "drift-0000-pii"
    drifting["detail"]["contact"]["customerEndpoint"] = {"address": CALLER_NUMBERS[0]}
    drifting["detail"]["serviceAgent"]["network"]["gatewayIps"] = IPS  # a new field: drift
    payloads.append(encode(drifting))
    invalid = json.loads(json.dumps(SOURCE_EVENTS["CallSummary"]))
    invalid["id"] = "invalid-0000-pii"
    invalid["detail"]["webRTCSession"]["metrics"]["mos"]["avg"] = "high"  # rejected
    payloads.append(encode(invalid))
    not_json = f"caller {CALLER_NUMBERS[0]} from {IPS[0]} via {SOFTPHONE_URLS[0]} {{"
    payloads.append(not_json.encode())
    return payloads


def run(log_format: str, redact_pii: bool, level: str = "DEBUG") -> str:
    settings = Settings(log_format=log_format, log_level=level, redact_pii=redact_pii)
    _, text = run_batch(records_of(*pii_batch()), settings)
    app.CONTAINER.drift = DriftNotices()
    return text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_pii_from_the_fixtures_in_any_output_with_redaction_on(log_format: str) -> None:
    text = run(log_format, redact_pii=True)
    assert "SCHEMA DRIFT" in text or '"schema drift"' in text
    assert "envelope" in text  # DEBUG lines
    assert text.count("Error parsing") >= 2  # two rejected records
    leaked = [pii for pii in PII + _national_parts() if pii in text]
    assert not leaked
    assert "+61*******149" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_all_of_it_is_shown_with_redaction_off(log_format: str) -> None:
    text = run(log_format, redact_pii=False)
    assert all(pii in text for pii in CALLER_NUMBERS + IPS)  # in clear in the lines themselves


def test_redaction_in_every_json_line_keeps_it_json() -> None:
    text = run("json", redact_pii=True)
    for line in text.splitlines():
        json.loads(line)


def test_the_handler_redacts_by_default_in_a_deployed_stage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STAGE", "dev")  # REDACT_PII unset: on, as serverless.yml sets it
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    event = kinesis_event(pii_batch())
    assert handler.handler(event, None) == {"batchItemFailures": []}
    out = capsys.readouterr().out
    assert not [pii for pii in PII if pii in out]
    monkeypatch.setenv("REDACT_PII", "false")
    app.CONTAINER.drift = DriftNotices()
    handler.handler(event, None)
    out = capsys.readouterr().out
    assert all(pii in out for pii in CALLER_NUMBERS + IPS)


def test_drift_examples_are_redacted_before_they_are_cut() -> None:
    event = json.loads(json.dumps(SOURCE_EVENTS["CallSummary"]))
    # a long example whose cut at 200 characters would fall inside an address
    event["detail"]["contact"]["notes"] = "x" * 194 + " 10.4.3.108"
    _, text = run_batch(records_of(encode(event)), Settings(redact_pii=True))
    drift = next(line for line in text.splitlines() if line.startswith("SCHEMA DRIFT"))
    assert "10.4" not in drift  # masked whole, then cut: no leading octets survive the cut


def test_redaction_off_costs_nothing_on_the_write_path() -> None:
    assert Report(Settings(redact_pii=False)).redact is None
    assert Report(Settings(redact_pii=True)).redact is redact


@pytest.mark.parametrize(
    "data",
    [b64(b"\xff\xfe caller +61402960149 at 192.168.1.12"), "not base64 +61402960149 !!"],
)
def test_undecodable_data_is_kept_as_it_is_and_its_line_is_redacted(data: str) -> None:
    settings = Settings(log_format="json", redact_pii=True)
    (outcome,), text = run_batch([record_with_data(data)], settings)
    assert "+61402960149" not in text and "192.168.1.12" not in text
    assert kept_entry(outcome)["data"] == data  # the quarantine keeps the record exactly


# --- the patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+61402960149", "+61*******149"),  # the issue's example (Australia)
        ("+14155550123", "+1*******123"),  # NANP: one digit
        ("+74951234567", "+7*******567"),  # Russia: one digit
        ("+442079460958", "+44*******958"),
        ("+353861234567", "+353*******567"),  # Ireland: three digits
        ("+8801712345678", "+880*******678"),  # Bangladesh: three digits in zone 8
        ("+8613812345678", "+86*******678"),  # China: two digits in zone 8
        ("+971501234567", "+971*******567"),
        ("+27821234567", "+27*******567"),
        ("+212612345678", "+212*******678"),  # Morocco, beside Egypt's 20
        ("+1 (415) 555-0123", "+1*******123"),
        ("+44 20 7946 0958", "+44*******958"),
        ("0402960149", "*******149"),  # no country code to keep
    ],
)
def test_mask_phone_keeps_the_country_code_and_the_last_three_digits(
    number: str, masked: str
) -> None:
    assert mask_phone(number) == masked
    if number.startswith("+"):
        assert redact(f"call from {number}.") == f"call from {masked}."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"callerId": "0402960149"}', '{"callerId": "*******149"}'),
        ('{"callerId":"anonymous"}', '{"callerId":"anonymous"}'),
        ("Caller ID: 0402960149", "Caller ID: *******149"),
        ("Caller ID: n/a", "Caller ID: n/a"),
        ("at 10.4.3.108.", "at [IPv4]."),
        ("http://10.1.2.3:8080/x", "http://[IPv4]:8080/x"),
        (
            "fe80::1%eth0 2001:db8::8a2e:370:7334 ::ffff:10.4.3.108 ::1",
            "[IPv6] [IPv6] [IPv6] [IPv6]",
        ),
        ("[2001:db8::1]:443", "[[IPv6]]:443"),
        (
            '{"softphoneUrl": "https://x.awsapps.com/connect/ccp-v2/softphone#ac7a6a89"}',
            '{"softphoneUrl": "https://x.awsapps.com/[redacted]"}',
        ),
        (
            "open https://x.my.connect.aws/ccp-v2/ now",
            "open https://x.my.connect.aws/[redacted] now",
        ),
    ],
)
def test_redact_masks(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # applying it twice changes nothing more


@pytest.mark.parametrize(
    "text",
    [
        "Chrome 113.0.5672.126",  # a version, not an address
        "v1.2.3.4.5",
        "Time: 2023-06-01 05:00:13 UTC",
        "2023-06-01T05:00:13+00:00",
        '"sequenceNumber": "49590338271490256608559692538361571095921575989136588898"',
        '"Timestamp": 1795782527868, "mos": 4.25, "x": 1e+1234567',
        "std::string",
        "https://docs.aws.amazon.com/lambda/",
        "+12345",  # too short for a phone number
    ],
)
def test_redact_leaves_what_is_not_pii(text: str) -> None:
    assert redact(text) == text


@given(st.ip_addresses(), st.sampled_from(["", " ", '"', "(", "=", "ip "]))
def test_every_ip_address_is_masked(address: Any, before: str) -> None:
    after = {'"': '"', "(": ")"}.get(before, ",")
    text = f"{before}{address}{after} next"
    redacted = redact(text)
    assert str(address) not in redacted
    assert ("[IPv4]" if address.version == 4 else "[IPv6]") in redacted


@given(
    st.sampled_from(["1", "7", "20", "27", "44", "61", "86", "98", "212", "353", "880", "971"]),
    st.text("0123456789", min_size=6, max_size=11),
)
def test_every_e164_number_is_masked(code: str, rest: str) -> None:
    number = f"+{code}{rest}"
    if len(number) - 1 > 15:
        return
    assert country_code_length(number[1:]) == len(code)
    redacted = redact(f"caller {number} called")
    assert redacted == f"caller +{code}*******{number[-3:]} called"


@pytest.mark.parametrize(
    "text",
    [
        '{"notes": "first line\\n+61402960149 called"}',
        '{"notes": "gateway\\n10.4.3.108"}',
        '{"notes": "v6\\n2001:db8::1"}',
        '{"notes": "tab\\t192.168.1.12"}',
    ],
)
def test_pii_right_after_a_json_escape_is_masked(text: str) -> None:
    masked = redact(text)
    assert not any(pii in masked for pii in ["402960", "10.4.3", "2001:db8", "192.168"])
    json.loads(masked)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_caller_id_sent_as_a_number_is_masked_everywhere(log_format: str) -> None:
    event = json.loads(json.dumps(SOURCE_EVENTS["CallSummary"]))
    event["detail"]["contact"]["callerId"] = 412345678  # wrong type: rejected, and personal
    settings = Settings(log_format=log_format, redact_pii=True, log_level="DEBUG")
    outcomes, text = run_batch(records_of(encode(event)), settings)
    assert [o.reason for o in outcomes] == ["schema_invalid"]
    assert "412345678" not in text and "412345" not in text
    assert "*******678" in text
    if log_format == "json":
        for line in text.splitlines():
            json.loads(line)


def test_a_lone_surrogate_still_gets_its_log_line() -> None:
    """Valid JSON ("\\ud800") that a strict UTF-8 stream cannot write as it is."""
    import io

    event = json.loads(json.dumps(SOURCE_EVENTS["CallSummary"]))
    event["source"] = "aws.partner/other.com/\ud800"
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    report = Report(Settings(), stream)
    record = records_of(json.dumps(event).encode())[0]
    outcome = examine(record, schema_set())
    report.take(outcome)()
    assert outcome.status is Status.SKIPPED
    assert f"SKIPPED seq={record.sequence_number}" in raw.getvalue().decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mob+61402960149", "Mob+61*******149"),
        ("x_+61402960149,", "x_+61*******149,"),
        ("+6140296014912345", "+61*******345"),  # longer than E.164: masked all the same
        ("mail andy.o+tag@example.com.au now", "mail [email] now"),
        ("host ip-10-4-3-108.ec2.internal", "host ip-[IPv4].ec2.internal"),
        ("ec2-54-1-2-3.compute-1.amazonaws.com", "ec2-[IPv4].compute-1.amazonaws.com"),
    ],
)
def test_free_text_patterns_in_any_position(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected


@pytest.mark.parametrize(
    "text",
    [
        "530848f3-1111-2222-3333-b33ba70c19f0",  # an event id
        "ap-southeast-2",
        "2023-06-01-05",
        "a-1-2-3",  # three numbers, not an address
        "1.5e+1234567",
        "user@",
    ],
)
def test_free_text_patterns_leave_what_is_not_pii(text: str) -> None:
    assert redact(text) == text


AROUND = st.text(st.characters(exclude_categories=("Nd",), exclude_characters="+@."), max_size=8)


@given(AROUND, st.text("23456789", min_size=8, max_size=11), AROUND)
def test_a_phone_number_is_masked_in_any_position(before: str, digits: str, after: str) -> None:
    redacted = redact(f"{before}+61{digits}{after}")
    assert digits[:-3] not in redacted


@given(AROUND, st.from_regex(r"[a-z]{2,8}\.[a-z]{2,8}@[a-z]{3,8}\.(com|net)\.au", fullmatch=True))
def test_an_email_address_is_masked_in_any_position(before: str, address: str) -> None:
    redacted = redact(f"{before}{address} and more")
    assert address.split("@")[0] not in redacted and "[email]" in redacted


# --- structured values: masked_detail skips strings the scan cannot change ------------------


@settings(max_examples=300, deadline=None)
@given(st.from_regex(redact_module._NOTHING_TO_MASK, fullmatch=True))
def test_a_string_of_a_skipped_shape_is_one_the_scan_leaves_alone(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=redact_module._PLAIN))
def test_a_string_of_plain_characters_is_one_the_scan_leaves_alone(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=300, deadline=None)
@given(
    st.text()
    | st.sampled_from(["+61412345678", "a@b.co", "ip-10-4-3-108", "fe80::1"])
    | st.sampled_from(redact_module.LABELLED_KEYS)  # a key under which a number is masked
)
def test_redact_value_masks_every_string_and_copies_only_when_one_changes(text: str) -> None:
    value = {"k": text, "l": [text, {"m": text}], "n": {text: 1}}
    masked = redact_value(value)
    assert masked["k"] == masked["l"][0] == masked["l"][1]["m"] == redact(text)
    assert redact(text) in masked["n"]
    assert (masked is value) == (redact(text) == text)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        *((key, number) for key in redact_module.LABELLED_KEYS for number in (412345678, 4.5e9)),
        ("callerId", "0412345678"),
        ("callerId", "+61 412 345 678"),
        *((key, "https://x.awsapps.com/connect/ccp#c") for key in redact_module.LABELLED_KEYS[1:]),
    ],
)
def test_redact_value_masks_a_labelled_value_as_a_json_line_shows_it(key: str, value: Any) -> None:
    line = redact(json.dumps({key: value}))
    assert json.loads(line) == redact_value({key: value})
