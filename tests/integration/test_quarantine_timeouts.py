"""The S3 quarantine against an endpoint that accepts connections and never answers: the put is
tried exactly as often as docs/records.md says, then the record fails for retry, with the
rest of the batch, and nothing is lost."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator

import pytest

from operata_lambda.aws import FUNCTION
from operata_lambda.config import Settings
from operata_lambda.pipeline.batch import batch_item_failures, process
from operata_lambda.pipeline.outcomes import Status
from operata_lambda.sinks.base import Sinks
from operata_lambda.sinks.quarantine import S3Quarantine
from operata_lambda.validation.schemas import schema_set
from tests.helpers import ROOT, encode, record_with_data, records_of, source_event
from tests.localaws import DUMMY_CREDENTIALS


class SilentServer:
    """Accepts every connection, reads what is sent, never answers; counts the requests."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests = 0
        self.held: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)
            threading.Thread(target=self.read, args=(connection,), daemon=True).start()

    def read(self, connection: socket.socket) -> None:
        seen = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            seen += chunk
            with self.lock:
                found = len(re.findall(rb"^PUT /", seen, re.MULTILINE))
                self.requests += found
            seen = seen[seen.rfind(b"\n") + 1 :] if found else seen[-8:]

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def silent_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentServer]:
    server = SilentServer()
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.port}")
    yield server
    server.close()


def test_a_put_that_never_answers_is_tried_as_documented_then_fails_the_rest(
    silent_endpoint: SilentServer,
) -> None:
    quarantine = S3Quarantine("quarantine-bucket")  # its own client, as deployed
    good = encode(source_event("CallSummary"))
    records = [*records_of(good), record_with_data("%%% not base64", "2"), *records_of(good)]
    outcomes = list(process(records, Sinks(quarantine, ()), schema_set(Settings().schema_dir)))
    assert [o.status for o in outcomes] == [Status.PROCESSED, Status.FAILED, Status.FAILED]
    assert [o.reason for o in outcomes[1:]] == ["quarantine_unavailable", "after_failure"]
    assert [f["itemIdentifier"] for f in batch_item_failures(outcomes)] == [
        r.sequence_number for r in records[1:]
    ]
    attempts = FUNCTION.attempts
    assert silent_endpoint.requests == attempts


def test_docs_state_the_attempts_and_timeouts() -> None:
    text = (ROOT / "docs" / "records.md").read_text(encoding="utf-8")
    retries = FUNCTION.attempts
    assert f"{retries} attempts" in text
    assert f"{FUNCTION.connect_s:g} s to connect" in text
    assert f"{FUNCTION.read_s:g} s to read" in text


def test_the_worst_put_fits_in_the_deadline_margin() -> None:
    attempts = FUNCTION.attempts
    per_attempt = FUNCTION.connect_s + FUNCTION.read_s
    backoff = sum(2**i for i in range(attempts - 1))  # botocore standard mode: <= 2**i s each
    assert (attempts * per_attempt + backoff) * 1000 < Settings().deadline_margin_ms
