"""The real Serverless CLI runs the handler on the fixtures, as `make demo` does."""

from __future__ import annotations

import json
import subprocess

from tests.helpers import EVENTS, ROOT, sls_invoke_local


def invoke_local(fixture: str, **env: str) -> subprocess.CompletedProcess[str]:
    """As a user runs it after `. .venv/bin/activate`: the project's Python first on PATH."""
    return sls_invoke_local(fixture, ROOT / ".venv" / "bin", **env)


def response_of(stdout: str) -> dict[str, object]:
    start = stdout.rindex('{\n    "batchItemFailures"')
    return json.loads(stdout[start:])  # type: ignore[no-any-return]


def test_mixed_batch_through_sls_invoke_local() -> None:
    result = invoke_local("events/mixed-batch.json")
    assert result.returncode == 0, result.stderr
    for title in ["Call Summary", "Insights Summary", "Agent Reported Issue", "Headset Summary"]:
        assert f"Event Type: {title}\n" in result.stdout
    expected = (ROOT / "tests" / "expected" / "CallSummary.txt").read_text(encoding="utf-8")
    assert expected in result.stdout
    records = json.loads((EVENTS / "mixed-batch.json").read_text())["Records"]
    assert result.stdout.count("Operata Event Received") == len(records)
    assert response_of(result.stdout) == {"batchItemFailures": []}


def test_bad_records_through_sls_invoke_local() -> None:
    result = invoke_local("events/bad-records.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\nREJECTED seq=") == 6
    assert result.stdout.count("\nSKIPPED seq=") == 1
    assert response_of(result.stdout) == {"batchItemFailures": []}
