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
