"""MemoryAdminVerbs: MemoryStore's filters, bulk changes and dashboard counts, in their
simplest form (the SQL stores' are in sql_admin.py; one contract suite checks both)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

from taskdesk.clock import Clock
from taskdesk.errors import BadStatus
from taskdesk.models.tasks import DurationHistogram, LogEntry, Status, Task, TaskFilter
from taskdesk.store import log_totals
from taskdesk.store.args_match import args_contain
from taskdesk.store.base import MATCH_CHUNK, AfterChunks

OUTCOMES = (Status.COMPLETE, Status.FAILED)


def matches(task: Task, where: TaskFilter) -> bool:
    """Whether a task passes the filter, as the SQL stores' WHERE decides."""
    if where.code and where.code_exact:
        code_ok = task.code == where.code
    else:
        code_ok = (where.code or "").lower() in task.code.lower()
    return (code_ok and (where.action or "").lower() in task.action.lower()
            and where.status in (None, task.status) and where.extension in (None, task.extension)
            and where.queue in (None, task.queue)
            and (not where.args or args_contain(task.args, where.args)))


class MemoryAdminVerbs:
    """Mixed into MemoryStore, whose state these attributes are."""

    clock: Clock
    _lock: threading.RLock
    _tasks: dict[int, Task]
    _log: list[LogEntry]
    _folded: log_totals.Totals
    _starts: dict[str, tuple[str, datetime]]  # Run Tasks' start claims: holder, expiry

    def claim_start(self, name: str, holder: str, *, seconds: float) -> bool:
        with self._lock:
            now = self.clock()
            held = self._starts.get(name)
            if held is not None and held[1] > now:
                return False
            self._starts[name] = (holder, now + timedelta(seconds=seconds))
            return True

    def release_start(self, name: str, holder: str) -> None:
        with self._lock:
            if self._starts.get(name, ("", None))[0] == holder:
                del self._starts[name]

    def _matching(self, where: TaskFilter) -> list[Task]:
        return [t for t in self._tasks.values() if matches(t, where)]

    def _idle_matching(self, where: TaskFilter) -> list[Task]:
        return sorted((t for t in self._matching(where) if t.status is not Status.PROCESSING),
                      key=lambda t: t.task_id)

    def set_status_matching(self, where: TaskFilter, status: Status, *,
                            chunk: int = MATCH_CHUNK, then: AfterChunks | None = None) -> int:
        if status is Status.PROCESSING:
            raise BadStatus("only a runner's claim sets a task processing")
        with self._lock:
            idle = self._idle_matching(where)
            self._then(then, len(idle))  # first: if it raises, nothing has changed
            now = self.clock()
            for t in idle:  # set back to pending by hand: a fresh attempt budget
                attempts = 0 if status is Status.PENDING else t.attempts
                self._tasks[t.task_id] = replace(t, status=status, date_modified=now,
                                                 attempts=attempts)
            return len(idle)

    def retry_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                       then: AfterChunks | None = None) -> int:
        with self._lock:
            idle = self._idle_matching(where)
            self._then(then, len(idle))
            now = self.clock()
            for t in idle:
                self._tasks[t.task_id] = replace(t, status=Status.PENDING, attempts=0,
                                                 run_at=now, date_modified=now)
            return len(idle)

    def delete_matching(self, where: TaskFilter, *, chunk: int = MATCH_CHUNK,
                        then: AfterChunks | None = None) -> int:
        with self._lock:
            idle = self._idle_matching(where)
            self._then(then, len(idle))
            for t in idle:
                del self._tasks[t.task_id]
            return len(idle)

    def _then(self, then: AfterChunks | None, changed: int) -> None:
        """The last chunk's `then` (one chunk here), run before the change so that if it
        raises nothing is changed, as a rolled-back transaction."""
        if then is not None:
            then(self, changed)  # type: ignore[arg-type]  # MemoryStore is a Store

    def status_counts(self) -> dict[Status, int]:
        with self._lock:
            return dict(Counter(t.status for t in self._tasks.values()))

    def log_counts(self) -> dict[Status, int]:
        return log_totals.log_counts(self._totals())

    def duration_histogram(self) -> DurationHistogram:
        return log_totals.histogram(self._totals())

    def _totals(self) -> log_totals.Totals:
        with self._lock:
            return log_totals.merged(self._folded, log_totals.entry_totals(self._log))

    def log_per_minute(self, since: datetime) -> dict[tuple[datetime, Status], int]:
        with self._lock:
            return dict(Counter(
                (e.date_added.replace(second=0, microsecond=0), e.status) for e in self._log
                if e.date_added >= since and e.status in OUTCOMES))
