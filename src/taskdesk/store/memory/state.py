"""MemoryState: the memory store's state — tasks, the task log and its folded counters,
runners and their hosts, installed modules, start claims — behind one reentrant lock, and
the few steps the verbs of several stories share (dropping tasks, logging an attempt,
filtering, a host's record)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from taskdesk.clock import Clock
from taskdesk.models.runners import HOST_MEMORY_SECONDS, HostInfo, RunnerInfo
from taskdesk.models.tasks import InstalledModule, LogEntry, Status, Task, TaskFilter
from taskdesk.store.log_totals import HOST_PREFIX, Totals, entry_totals, merged
from taskdesk.store.memory.filters import matches

if TYPE_CHECKING:
    from taskdesk.store.memory.workflows import MemoryWorkflowStore


class MemoryState:
    workflows: MemoryWorkflowStore  # set by MemoryStore: deletes end workflow tasks there

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._starts: dict[str, tuple[str, datetime]] = {}  # Run Tasks': holder, expiry
        self._tasks: dict[int, Task] = {}
        self._log: list[LogEntry] = []
        self._folded: Totals = {}  # counters of the entries pruned or cleared (log_totals)
        self._runners: dict[str, RunnerInfo] = {}
        self._hosts: dict[str, HostInfo] = {}  # by name (memory/hosts.py)
        self._modules: list[InstalledModule] = []
        self._next_task_id = 1
        self._next_log_id = 1

    def tasks_now(self) -> list[Task]:
        """Every task, as it is now (the caller holds the lock for a consistent view)."""
        return list(self._tasks.values())

    def tasks_by_id(self) -> dict[int, Task]:
        """The tasks by id, to change in place (the caller holds the lock)."""
        return self._tasks

    def log_entry(self, task: Task, status: Status, comment: str,
                  worker_id: str | None) -> LogEntry:
        """A log entry that is no attempt's own end (no duration): a cancel's."""
        return self._append_log(task, status, comment, None, worker_id)

    def _drop(self, task_ids: Iterator[int] | Sequence[int]) -> int:
        doomed = list(task_ids)
        for task_id in doomed:
            del self._tasks[task_id]
        return len(doomed)

    def _delete_waiting(self, task_ids: Sequence[int]) -> int:
        """Delete these tasks (a verb's, by hand): a workflow task among them that had not
        ended ends as cancelled, so its dependents are not left waiting for a parent that is
        gone (store/sql/cascade.delete_waiting)."""
        deleted = self._drop(task_ids)
        self.workflows.end_deleted(task_ids)
        return deleted

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

    def _host_seen(self, hostname: str, now: datetime) -> None:
        known = self._hosts.get(hostname)
        self._hosts[hostname] = HostInfo(
            hostname=hostname, first_seen_at=known.first_seen_at if known else now,
            last_seen_at=now, stopped_at=None)

    def _note_dead(self, dead: Iterable[RunnerInfo], now: datetime) -> None:
        """recover(): forgotten runners' hosts keep their last beat; old hosts go."""
        for info in dead:
            known = self._hosts.get(info.hostname)
            if known is not None and known.last_seen_at < info.last_seen_at:
                self._hosts[info.hostname] = replace(known, last_seen_at=info.last_seen_at)
        before = now - timedelta(seconds=HOST_MEMORY_SECONDS)
        running = {info.hostname for info in self._runners.values()}
        for old in [h for h in self._hosts.values()
                    if h.last_seen_at < before and h.hostname not in running]:
            self._forget_host(old.hostname)

    def _forget_host(self, hostname: str) -> bool:
        """The host and its folded counters go (the caller holds the lock)."""
        self._folded = {name: value for name, value in self._folded.items()
                        if not (name.startswith(HOST_PREFIX) and name.endswith(f":{hostname}"))}
        return self._hosts.pop(hostname, None) is not None
