"""A real AWS API server (moto) on loopback, started and stopped by the tests themselves."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from operata.local_aws import server_command

REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto_server on a loopback port the kernel picks; yield its endpoint URL.

    The server binds port 0 and says which port it got: no window in which another test
    running side by side (pytest -n) could take the same port."""
    env = {**os.environ, **DUMMY_CREDENTIALS}
    proc = subprocess.Popen(
        [*server_command(), "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    try:
        url = None
        for line in proc.stderr:  # ends when the server exits
            found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        if url is None:
            raise RuntimeError(f"moto_server did not start (exit status {proc.wait()})")
        # it logs every request to stderr: keep reading, or it stops once the pipe is full
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        urllib.request.urlopen(f"{url}/moto-api/", timeout=30).close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def reset(url: str) -> None:
    """Forget every resource the server holds (between tests)."""
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).close()
