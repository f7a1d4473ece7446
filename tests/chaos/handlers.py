"""The chaos test's task (imported as tests.chaos.handlers by real worker processes).

Each attempt records itself — (task_id, pid, thread, attempt) — in the table
`chaos_execution` of the taskdesk database, through a connection of its own, committed before
the attempt returns: what the test later counts is what really ran, whatever the runner stored
about it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any, Protocol

from taskdesk import Controller

#: The table the chaos test creates and reads; the handlers' connections name themselves so
#: that terminating the workers' backends spares them.
TABLE = "chaos_execution"
APPLICATION_NAME = "taskdesk-chaos-handler"
INSERT = f"INSERT INTO {TABLE} (task_id, pid, thread, attempt) VALUES (%s, %s, %s, %s)"


class Recorder(Protocol):
    def record(self, task_id: int, pid: int, thread: int, attempt: int) -> None: ...


class SqliteRecorder:
    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, timeout=60, isolation_level=None)

    def record(self, task_id: int, pid: int, thread: int, attempt: int) -> None:
        # autocommit: on disk when it returns
        self.connection.execute(f"INSERT INTO {TABLE} (task_id, pid, thread, attempt) "
                                "VALUES (?, ?, ?, ?)", (task_id, pid, thread, attempt))


class PostgresRecorder:
    def __init__(self, url: str) -> None:
        self.url = url
        self.connection = self._connect()

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True, application_name=APPLICATION_NAME)

    def record(self, task_id: int, pid: int, thread: int, attempt: int) -> None:
        import psycopg

        row = (task_id, pid, thread, attempt)
        try:
            self.connection.execute(INSERT, row)
        except psycopg.OperationalError:
            if not self.connection.broken:
                raise
            self.connection = self._connect()  # the server restarted (tests/fleet)
            self.connection.execute(INSERT, row)


_recorders: dict[tuple[int, str], Recorder] = {}


def recorder(database_url: str) -> Recorder:
    """One connection per process and database: opening one per task would be what the run
    measures. (A process forked from a worker opens its own.)"""
    key = (os.getpid(), database_url)
    if key not in _recorders:
        if database_url.startswith("sqlite:///"):
            _recorders[key] = SqliteRecorder(database_url.removeprefix("sqlite:///"))
        else:
            _recorders[key] = PostgresRecorder(
                database_url.replace("postgresql+psycopg://", "postgresql://", 1))
    return _recorders[key]


class Record(Controller):
    """Wait half of `pause`, record this attempt, wait the other half: a SIGKILL lands before
    the record (the task runs once, after its recovery) or after it (it runs twice)."""

    def index(self, pause: float = 0.0) -> str:
        assert self.task is not None
        time.sleep(pause / 2)
        recorder(self.config.database_url).record(self.task.task_id, os.getpid(),
                                                  threading.get_native_id(), self.task.attempts)
        time.sleep(pause / 2)
        return "recorded"
