"""A real `taskdesk serve` on a free loopback port, for the tests where the HTTP server itself
matters (uvicorn's proxy headers, read timeouts, parallel logins): `taskdesk init
--admin-user` first, then the server, ended by its pid."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ADMIN, PASSWORD = "admin", "served-test-password"
START_TIMEOUT = 30.0  # seconds for `taskdesk serve` to answer /healthz
STOP_TIMEOUT = 10.0  # seconds


@dataclass(frozen=True)
class Served:
    host: str
    port: int
    home: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(home: Path, **settings: str) -> Iterator[Served]:
    """`settings` are extra environment variables of both commands."""
    env = {**os.environ, "TASKDESK_HOME": str(home), "TASKDESK_ADMIN_PASSWORD": PASSWORD,
           "TASKDESK_DATABASE_URL": "", "TASKDESK_ALLOWED_ACTIONS": "tests", **settings}
    subprocess.run([sys.executable, "-m", "taskdesk", "init", "--admin-user", ADMIN],
                   env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "taskdesk", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        served = Served("127.0.0.1", port, home, env)
        wait_until_healthy(served.url, process)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"taskdesk serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("taskdesk serve did not answer /healthz")
