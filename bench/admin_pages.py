"""The admin over HTTP at a million tasks: `taskdesk serve` on loopback, the Tasks page and
GET /api/tasks (first page, a page 500,000 rows deep, filtered by status and by exact code),
the dashboard and /metrics, as p50/p95 in ms per whole request (one keep-alive connection).

    .venv/bin/python -m bench.admin_pages [--tasks 1000000] [--runs 50] [--postgres]

It reuses bench.admin_lists' filled SQLite file (bench/.cache); PostgreSQL is filled into a
throw-away database dropped afterwards.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.admin_lists import measure, run
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk

START_TIMEOUT = 60.0  # seconds for the server to answer /healthz


def paths(tasks: int) -> dict[str, str]:
    deep = max(tasks - 500_000, tasks // 2)
    return {
        "Tasks page, first": "/tasks",
        f"Tasks page, older than id {deep:,}": f"/tasks?cursor={deep}",
        "Tasks page, status=failed": "/tasks?status=failed",
        "Tasks page, exact code": "/tasks?code=mail.7&code_exact=true",
        "GET /api/tasks, first": "/api/tasks",
        "GET /api/tasks, deep": f"/api/tasks?cursor={deep}",
        "GET /api/tasks, status=failed": "/api/tasks?status=failed",
        "GET /api/tasks, status=failed, deep": f"/api/tasks?status=failed&cursor={deep}",
        "GET /api/tasks, exact code": "/api/tasks?code=mail.7&code_exact=true",
        "GET /api/tasks, exact code, deep": f"/api/tasks?code=mail.7&code_exact=true"
                                            f"&cursor={deep}",
        "dashboard (counts, runners, chart data)": "/api/dashboard",
        "/metrics": "/metrics",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(url: str) -> Iterator[tuple[int, str]]:
    """`taskdesk serve` on the database; yields its port and an admin's API token."""
    with Taskdesk(database_url=url, home=Path(tempfile.mkdtemp())) as desk:
        desk.init()
        Admin(desk).accounts.ensure_admin("bench", "bench-password")
        token, _ = Admin(desk).accounts.issue_token("bench", label="bench")
    port = free_port()
    env = {**os.environ, "TASKDESK_DATABASE_URL": url}
    process = subprocess.Popen([sys.executable, "-m", "taskdesk", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        yield port, token
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("taskdesk serve did not start")


def report(backend: str, url: str, tasks: int, runs: int, console: Console) -> None:
    table = Table(title=f"{backend}, {tasks:,} tasks: ms per HTTP request to taskdesk serve")
    for column in ("request", "runs", "p50", "p95"):
        table.add_column(column, justify="left" if column == "request" else "right")
    with serving(url) as (port, token):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}

        for name, path in paths(tasks).items():
            def call(path: str = path) -> None:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                assert response.status == 200, (path, response.status)

            p50, p95 = measure(call, runs)
            table.add_row(name, str(runs), f"{p50:.2f}", f"{p95:.2f}")
    console.print(table)


def main() -> None:
    run(report, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
