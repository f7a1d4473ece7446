"""MemoryState: the memory store's state — tasks, the task log and its folded counters,
runners, installed modules, start claims — behind one reentrant lock, and the few steps the
verbs of several stories share (dropping tasks, logging an attempt, filtering)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime

from taskdesk.clock import Clock
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import InstalledModule, LogEntry, Status, Task, TaskFilter
from taskdesk.store.log_totals import Totals, entry_totals, merged
from taskdesk.store.memory.filters import matches


class MemoryState:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._starts: dict[str, tuple[str, datetime]] = {}  # Run Tasks': holder, expiry
        self._tasks: dict[int, Task] = {}
        self._log: list[LogEntry] = []
        self._folded: Totals = {}  # counters of the entries pruned or cleared (log_totals)
        self._runners: dict[str, RunnerInfo] = {}
        self._modules: list[InstalledModule] = []
        self._next_task_id = 1
        self._next_log_id = 1

    def _drop(self, task_ids: Iterator[int] | Sequence[int]) -> int:
        doomed = list(task_ids)
        for task_id in doomed:
            del self._tasks[task_id]
        return len(doomed)

    def _matching(self, where: TaskFilter) -> list[Task]:
        return [t for t in self._tasks.values() if matches(t, where)]

    def _append_log(self, task: Task, status: Status, comment: str, duration: float | None,
                    worker_id: str | None) -> LogEntry:
        entry = LogEntry(
            task_log_id=self._next_log_id, task_id=task.task_id, code=task.code,
            status=status, comment=comment, duration=duration, attempt=task.attempts,
            worker_id=worker_id, date_added=self.clock(),
        )
        self._log.append(entry)
        self._next_log_id += 1
        return entry

    def _fold_out(self, entries: list[LogEntry]) -> None:
        """Entries about to go stay counted (the counters never fall)."""
        self._folded = merged(self._folded, entry_totals(entries))
