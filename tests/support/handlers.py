"""Task handlers for tests that run real runner processes (imported as tests.support.handlers)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from taskdesk import Controller


def record(path: str, n: int) -> None:
    """Append `n` to a file with one write, so that concurrent runners never interleave."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, f"{n}\n".encode())
    finally:
        os.close(descriptor)


def sleep_once(marker: str, seconds: float) -> str:
    """The first attempt writes `marker` and sleeps (long enough to be killed); later ones
    return at once."""
    flag = Path(marker)
    if flag.exists():
        return "second attempt done"
    flag.write_text(str(os.getpid()))
    time.sleep(seconds)
    return "first attempt done"


def noop() -> None:
    """Does nothing: what benchmarks measure is the runner itself."""


def boom(message: str = "boom") -> None:
    raise RuntimeError(message)


class FanOut(Controller):
    """Adds one task per page, as OpenCart's backup task does."""

    def index(self, pages: int) -> str:
        for page in range(1, pages + 1):
            self.tasks.add(f"page_{page}", "tests.support.handlers:noop")
        return f"added {pages} pages"


def end_other_backends(database_url: str) -> int:
    """Terminate every other connection to this PostgreSQL database, as a restart or an
    operator's pg_terminate_backend does to the runner's pool while its task runs; how many."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        ended = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
    return int(ended[0]) if ended else 0
