from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.localaws import DUMMY_CREDENTIALS, moto_server


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """A moto server on loopback, with dummy credentials in the environment (no real AWS)."""
    saved = {k: os.environ.get(k) for k in [*DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(DUMMY_CREDENTIALS)
    with moto_server() as url:
        os.environ["AWS_ENDPOINT_URL"] = url
        yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A new Lambda container: no drift reported yet, local settings, the project's schemas."""
    from operata_lambda import setup_check
    from operata_lambda.sinks import report as output
    from operata_lambda.validation import schemas

    monkeypatch.setattr(output, "_drift_reported", set())
    for name in ["QUARANTINE_BUCKET", "LOG_LEVEL", "REDACT_PII", "DEADLINE_MARGIN_MS", "STAGE"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(schemas.SCHEMA_DIR_ENV, raising=False)
    monkeypatch.setenv("LOG_FORMAT", "text")
    schemas.clear_cache()
    setup_check.forget()
    yield
    schemas.clear_cache()
    setup_check.forget()
