"""The admin on a fleet host (issue 16, item 4, the seed's workflow): `taskdesk serve` inside
that host's namespace, bound to its address on the private subnet (the only non-loopback
address the project allows), and its JSON API called with a bearer token. The test's process
has no cable to the subnet, so each call runs tests/fleet/api_client.py inside the host's
namespace."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fleet.harness import REPO, STOP_SECONDS, Fleet

PORT = 8000
ADMIN_USER = "fleet-admin"
ADMIN_PASSWORD = "fleet-admin-password-1"  # a scratch cluster's user, deleted with it


class ApiError(AssertionError):
    """The API answered with a status the call did not expect."""


@dataclass
class Admin:
    fleet: Fleet
    host: str
    process: subprocess.Popen[bytes]
    log: Path
    token: str

    @property
    def url(self) -> str:
        return f"http://{self.fleet.network.address(self.fleet.namespace(self.host))}:{PORT}"

    def call(self, method: str, path: str, body: Any = None, upload: Path | None = None,
             expect: int | tuple[int, ...] = (200, 201), token: str | None = None,
             form: dict[str, str] | None = None) -> Any:
        """The API's answer (JSON) to METHOD PATH, with a JSON body or a file uploaded as
        the multipart field `file` beside the `form` fields (with another token if given);
        any other status than `expect` raises with the body."""
        fields = "".join(f";{name}={value}" for name, value in (form or {}).items())
        argument = ([f"@{upload}{fields}"] if upload else [] if body is None
                    else [json.dumps(body)])
        command = ["ip", "netns", "exec", self.fleet.namespace(self.host), sys.executable,
                   "-m", "tests.fleet.api_client", method, self.url + path, token or self.token,
                   *argument]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120,
                              check=False)
        if done.returncode != 0:
            raise ApiError(f"{method} {path}: {done.stderr}\n{self.log_tail()}")
        status, _, text = done.stdout.partition("\n")
        if int(status) not in ((expect,) if isinstance(expect, int) else expect):
            raise ApiError(f"{method} {path}: {status} {text}\n{self.log_tail()}")
        return json.loads(text) if text.strip() else None

    def remove_extensions(self) -> None:
        """Uninstall and remove every uploaded extension (a test's leftovers: the tables a
        scenario fills are emptied by the fleet fixture, extensions are not)."""
        for extension in self.call("GET", "/api/extensions"):
            if any(module["installed"] for module in extension["modules"]):
                self.call("POST", f"/api/extensions/{extension['code']}/uninstall")
            self.call("DELETE", f"/api/extensions/{extension['code']}")

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextmanager
def serve(fleet: Fleet, host: str) -> Iterator[Admin]:
    """`taskdesk serve` on that host with an admin user and a fresh API token; ready (its
    API answers) when given; stopped (SIGTERM, then SIGKILL) at the end whatever happens."""
    fleet.run(host, "init", "--admin-user", ADMIN_USER, "--admin-password", ADMIN_PASSWORD)
    token = fleet.run(host, "user", "token", ADMIN_USER, "--label", "fleet test").split()[-1]
    log = fleet.root / f"serve-{host}-{time.monotonic_ns()}.log"
    address = fleet.network.address(fleet.namespace(host))
    with log.open("wb") as out:
        process = subprocess.Popen(
            fleet.command(host, "serve", "--host", address, "--port", str(PORT)), cwd=REPO,
            env=fleet.env(host), stdout=out, stderr=subprocess.STDOUT)
    admin = Admin(fleet, host, process, log, token)
    try:
        admin.call("GET", "/api/tasks")  # retried while the server starts
        admin.remove_extensions()
        yield admin
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)
