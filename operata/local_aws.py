"""`python -m operata local-aws start | stop`: a local AWS API (moto) on loopback, to deploy a
stage to without an AWS account (`make local-aws`). It keeps everything in memory: stopping it
forgets every stack, stream and bucket.

moto stores the function and its event source mapping but does not run the function: the loop
that does is `python -m operata publish`, then `consume` (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

STATE = Path(".local-aws")
CREDENTIALS = {  # any values do: moto does not check them
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def endpoint(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
    except OSError:
        return False
    return True


def _running_pid() -> int | None:
    try:
        pid = int((STATE / "pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def server_command() -> list[str]:
    """moto_server beside this interpreter, else on PATH, else as a module."""
    beside = Path(sys.executable).with_name("moto_server")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("moto_server")
    return [found] if found else [sys.executable, "-m", "moto.server"]


def start(port: int, wait_s: float = 30) -> int:
    url = endpoint(port)
    if _running_pid() and answers(url):
        print(f"local AWS already running at {url}")
        return 0
    if answers(url):
        print(f"error: something else answers at {url}: stop it, or choose --port", file=sys.stderr)
        return 2
    STATE.mkdir(exist_ok=True)
    with open(STATE / "server.log", "ab") as log:
        server = subprocess.Popen(
            [*server_command(), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CREDENTIALS},
            start_new_session=True,  # outlives this command
        )
    (STATE / "pid").write_text(str(server.pid))
    deadline = time.monotonic() + wait_s
    while not answers(url):
        if server.poll() is not None or time.monotonic() > deadline:
            print(
                f"error: the local AWS did not start: see {STATE / 'server.log'}", file=sys.stderr
            )
            return 2
        time.sleep(0.2)
    print(f"local AWS running at {url} (in memory: stop it with make local-aws-stop)")
    return 0


def stop() -> int:
    pid = _running_pid()
    if pid is None:
        print("local AWS is not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    (STATE / "pid").unlink(missing_ok=True)
    print("local AWS stopped: everything deployed to it is gone")
    return 0


def local_aws_command(args: argparse.Namespace) -> int:
    return start(args.port) if args.action == "start" else stop()
