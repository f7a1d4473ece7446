"""MemoryErrorLineStore: the error log's lines in plain Python, the reference for the SQL
ones. It shares its owner's lock and clock (a MemoryStore)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from taskdesk.models.error_lines import ErrorLine, ErrorLineFilter, NewErrorLine


class MemoryErrorLineStore:
    def __init__(self, clock: Callable[[], datetime], lock: threading.RLock) -> None:
        self._clock = clock
        self._lock = lock
        self._lines: list[ErrorLine] = []
        self._next_id = 1

    def snapshot(self) -> tuple[list[ErrorLine], int]:
        """Everything, for MemoryStore.atomic() to put back (the values are frozen)."""
        with self._lock:
            return list(self._lines), self._next_id

    def restore(self, saved: tuple[list[ErrorLine], int]) -> None:
        with self._lock:
            self._lines, self._next_id = saved

    def write(self, line: NewErrorLine) -> ErrorLine:
        with self._lock:
            stored = ErrorLine(error_log_id=self._next_id, date_added=self._clock(),
                               host=line.host, pid=line.pid, task_id=line.task_id,
                               message=line.message)
            self._next_id += 1
            self._lines.append(stored)
            return stored

    def page(self, where: ErrorLineFilter, limit: int) -> list[ErrorLine]:
        with self._lock:
            chosen = [line for line in self._lines
                      if where.host in (None, line.host)
                      and where.task_id in (None, line.task_id)
                      and (where.before is None or line.error_log_id < where.before)]
        return chosen[-limit:] if limit > 0 else []

    def hosts(self) -> list[str]:
        with self._lock:
            return sorted({line.host for line in self._lines})

    def prune(self, *, retention_seconds: float, limit: int) -> int:
        with self._lock:
            before = self._clock() - timedelta(seconds=retention_seconds)
            doomed = {line.error_log_id for line in self._lines
                      if line.date_added < before}
            doomed = set(sorted(doomed)[:limit])
            self._lines = [line for line in self._lines if line.error_log_id not in doomed]
            return len(doomed)

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._lines)
            self._lines = []
            return cleared
