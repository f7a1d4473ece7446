"""MemoryStore: the reference implementation of the Store verbs, in plain Python.

It passes the same contract suite as the SQL stores, so it documents the semantics in their
simplest form, and extension authors can test tasks with it without a database. (Filters, bulk
changes and the dashboard's counts are in memory_admin.py. The SQL stores' `delayed` column is
an index's business, never visible in a verb's result: here a claim simply looks at every
task's run_at.)
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

from taskdesk.clock import Clock, utcnow
from taskdesk.errors import BadStatus, TaskNotFound
from taskdesk.models.actions import SIDES
from taskdesk.models.runners import ClaimKey, Finished, NextClaim, RunnerInfo
from taskdesk.models.tasks import (
    WAITING,
    InstalledModule,
    LogEntry,
    NewTask,
    Outcome,
    Status,
    Task,
    TaskFilter,
)
from taskdesk.store.base import COMPLETE_PERCENT, LEASE_LOST, PRUNE_CHUNK
from taskdesk.store.log_totals import Totals, entry_totals, merged
from taskdesk.store.memory_accounts import MemoryAccountStore
from taskdesk.store.memory_admin import MemoryAdminVerbs
from taskdesk.store.memory_schedules import MemoryScheduleStore
from taskdesk.store.notify import WakeAddress
from taskdesk.store.rows import recovery_message


class MemoryStore(MemoryAdminVerbs):
    def __init__(self, *, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._starts: dict[str, tuple[str, datetime]] = {}
        self._tasks: dict[int, Task] = {}
        self._log: list[LogEntry] = []
        self._folded: Totals = {}  # counters of the entries pruned or cleared (log_totals)
        self._runners: dict[str, RunnerInfo] = {}
        self._modules: list[InstalledModule] = []
        self._next_task_id = 1
        self._next_log_id = 1
        self.accounts = MemoryAccountStore(lambda: self.clock(), self._lock)
        self.schedules = MemoryScheduleStore(self, self._lock)

    # -- the registry -------------------------------------------------------------------
    def add(self, tasks: Sequence[NewTask], *, replace: bool = True) -> list[Task]:
        if replace:
            tasks = list({new.code: new for new in tasks}.values())
        if any(new.max_attempts is None for new in tasks):
            raise ValueError("NewTask.max_attempts must be set before it reaches the store")
        with self._lock:
            if replace:
                codes = {new.code for new in tasks}
                self._drop(t.task_id for t in self._tasks.values()
                           if t.code in codes and t.status in WAITING)
            return [self._insert(new) for new in tasks]

    def _insert(self, new: NewTask) -> Task:
        assert new.max_attempts is not None
        now = self.clock()
        added = Task(
            task_id=self._next_task_id, code=new.code, action=new.action,
            args=copy.deepcopy(new.args), status=Status.PENDING, response=None,
            priority=new.priority, attempts=0, max_attempts=new.max_attempts,
            run_at=new.run_at or now, worker_id=None, lease_expires_at=None,
            date_added=now, date_modified=now, extension=new.extension, queue=new.queue,
        )
        self._tasks[added.task_id] = added
        self._next_task_id += 1
        return added

    def _drop(self, task_ids: Iterator[int] | Sequence[int]) -> int:
        doomed = list(task_ids)
        for task_id in doomed:
            del self._tasks[task_id]
        return len(doomed)

    def get(self, task_id: int) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def list_tasks(
        self, where: TaskFilter, *, cursor: int | None = None, limit: int = 50,
        descending: bool = False, preview: int | None = None,
    ) -> list[Task]:
        with self._lock:
            found = sorted(self._matching(where), key=lambda t: t.task_id, reverse=descending)
        if cursor is not None:
            found = [t for t in found if (t.task_id < cursor if descending else t.task_id > cursor)]
        if preview is not None:
            found = [replace(t, response=t.response[:preview]) if t.response else t
                     for t in found]
        return found[:limit]

    def _of_extension(self, extension: str, statuses: frozenset[Status]) -> list[int]:
        routes = tuple(f"task/{side}/{extension}." for side in SIDES)
        return [t.task_id for t in self._tasks.values() if t.status in statuses and (
            t.extension == extension or t.action.startswith(routes))]

    def count_extension_tasks(self, extension: str) -> int:
        with self._lock:
            return len(self._of_extension(extension, WAITING | {Status.PROCESSING}))

    def delete_extension_tasks(self, extension: str) -> int:
        with self._lock:
            return self._drop(self._of_extension(extension, WAITING))

    def count(self, where: TaskFilter) -> int:
        with self._lock:
            return len(self._matching(where))

    def set_status(self, task_ids: Sequence[int], status: Status) -> int:
        if status is Status.PROCESSING:
            raise BadStatus("only a runner's claim sets a task processing")
        with self._lock:
            idle = self._idle(task_ids)
            for t in idle:  # set back to pending by hand: a fresh attempt budget
                attempts = 0 if status is Status.PENDING else t.attempts
                self._tasks[t.task_id] = replace(t, status=status, date_modified=self.clock(),
                                                 attempts=attempts)
            return len(idle)

    def retry(self, task_ids: Sequence[int]) -> int:
        with self._lock:
            return self._retry(self._idle(task_ids))

    def _retry(self, tasks: list[Task]) -> int:
        now = self.clock()
        for t in tasks:
            self._tasks[t.task_id] = replace(t, status=Status.PENDING, attempts=0, run_at=now,
                                             date_modified=now)
        return len(tasks)

    def _idle(self, task_ids: Sequence[int]) -> list[Task]:
        missing = sorted(set(task_ids) - self._tasks.keys())
        if missing:
            raise TaskNotFound(f"no task with id {', '.join(map(str, missing))}")
        found = (self._tasks[task_id] for task_id in set(task_ids))
        return [t for t in found if t.status is not Status.PROCESSING]

    def delete(self, task_ids: Sequence[int]) -> int:
        with self._lock:
            return self._drop([t.task_id for t in self._idle(task_ids)])

    def delete_by_code(self, code: str) -> int:
        with self._lock:
            return self._drop([t.task_id for t in self._tasks.values()
                               if t.code == code and t.status is not Status.PROCESSING])

    def clear(self) -> int:
        with self._lock:
            return self._drop([t.task_id for t in self._tasks.values()
                               if t.status is not Status.PROCESSING])

    # -- the runner ---------------------------------------------------------------------
    def claim(self, worker_id: str, *, lease_seconds: float, limit: int = 1,
              queues: Sequence[str] | None = None, token: str | None = None) -> list[Task]:
        with self._lock:
            now = self.clock()
            due = sorted(
                (t for t in self._tasks.values()
                 if t.status is Status.PENDING and t.run_at <= now
                 and (queues is None or t.queue in queues)),
                key=lambda t: (-t.priority, t.task_id),
            )[:limit]
            expires = now + timedelta(seconds=lease_seconds)
            token = token or uuid.uuid4().hex
            claimed = [
                replace(t, status=Status.PROCESSING, worker_id=worker_id,
                        lease_expires_at=expires, attempts=t.attempts + 1, date_modified=now,
                        claim_token=token, progress=None, progress_message=None)
                for t in due
            ]
            self._tasks.update((t.task_id, t) for t in claimed)
            return claimed

    def _owned(self, worker_id: str, claims: Sequence[ClaimKey]) -> list[Task]:
        """The tasks of these claims that `worker_id` still holds."""
        found = ((self._tasks.get(key.task_id), key.token) for key in dict.fromkeys(claims))
        return [t for t, token in found if t is not None and t.worker_id == worker_id
                and t.status is Status.PROCESSING and t.claim_token == token]

    def heartbeat(self, runner: RunnerInfo, claims: Sequence[ClaimKey], *,
                  lease_seconds: float) -> int:
        with self._lock:
            now = self.clock()
            seen = self._runners.get(runner.runner_id, runner)
            self._runners[runner.runner_id] = replace(seen, last_seen_at=now)
            owned = self._owned(runner.runner_id, claims)
            expires = now + timedelta(seconds=lease_seconds)
            self._tasks.update((t.task_id, replace(t, lease_expires_at=expires)) for t in owned)
            return len(owned)

    def finish(self, task: Task, worker_id: str, outcome: Outcome, *,
               retention_seconds: float) -> bool:
        with self._lock:
            now = self.clock()
            kept = task.claim_token is not None and bool(
                self._owned(worker_id, [ClaimKey.of(task)]))
            if kept and outcome.status is Status.COMPLETE and retention_seconds <= 0:
                del self._tasks[task.task_id]
            elif kept:
                current = self._tasks[task.task_id]
                self._tasks[task.task_id] = replace(
                    current, status=outcome.status, response=outcome.response, worker_id=None,
                    lease_expires_at=None, run_at=outcome.retry_at or current.run_at,
                    date_modified=now, claim_token=None, progress=COMPLETE_PERCENT
                    if outcome.status is Status.COMPLETE else current.progress,
                )
            comment = outcome.comment if kept else f"{outcome.comment}{LEASE_LOST}"
            self._append_log(task, outcome.status, comment, outcome.duration, worker_id)
            return kept

    def finish_many(self, worker_id: str, finished: Sequence[Finished], *,
                    retention_seconds: float,
                    then_claim: NextClaim | None = None) -> tuple[list[bool], list[Task]]:
        with self._lock:  # reentrant: one block, as one transaction
            kept = [self.finish(task, worker_id, outcome, retention_seconds=retention_seconds)
                    for task, outcome in finished]
            if then_claim is None:
                return kept, []
            return kept, self.claim(worker_id, limit=then_claim.limit,
                                    lease_seconds=then_claim.lease_seconds,
                                    queues=then_claim.queues, token=then_claim.token)

    def landed(self, worker_id: str, finished: Sequence[Finished],
               then_claim: NextClaim | None) -> tuple[list[bool | None], list[Task]]:
        with self._lock:
            logged = {(e.task_id, e.attempt): not e.comment.endswith(LEASE_LOST)
                      for e in self._log if e.worker_id == worker_id and e.duration is not None}
            token = then_claim.token if then_claim else None
            held = [t for t in self._tasks.values() if token is not None
                    and t.claim_token == token and t.worker_id == worker_id
                    and t.status is Status.PROCESSING]
            return [logged.get((t.task_id, t.attempts)) for t, _ in finished], held

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

    def set_progress(self, worker_id: str, claim: ClaimKey, percent: int,
                     message: str) -> bool:
        with self._lock:
            owned = self._owned(worker_id, [claim])
            self._tasks.update((t.task_id, replace(t, progress=percent,
                                                   progress_message=message)) for t in owned)
            return bool(owned)

    def release(self, worker_id: str, claims: Sequence[ClaimKey]) -> int:
        with self._lock:
            owned = self._owned(worker_id, claims)
            for t in owned:
                self._tasks[t.task_id] = replace(
                    t, status=Status.PENDING, worker_id=None, lease_expires_at=None,
                    attempts=t.attempts - 1, date_modified=self.clock(), claim_token=None,
                    progress=None, progress_message=None,
                )
            return len(owned)

    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        with self._lock:
            now = self.clock()
            alive_since = now - timedelta(seconds=lease_seconds)
            self._runners = {key: info for key, info in self._runners.items()
                             if info.last_seen_at >= alive_since}
            expired = [t for t in self._tasks.values() if t.status is Status.PROCESSING
                       and t.lease_expires_at is not None and t.lease_expires_at < now]
            return [self._recover_one(t) for t in expired]

    def _recover_one(self, task: Task) -> LogEntry:
        retried = task.attempts < task.max_attempts
        status = Status.PENDING if retried else Status.FAILED
        message = recovery_message(task.worker_id, task.attempts, retried)
        self._tasks[task.task_id] = replace(
            task, status=status, response=message, worker_id=None, lease_expires_at=None,
            run_at=self.clock(), date_modified=self.clock(), claim_token=None,
        )
        return self._append_log(task, status, message, None, task.worker_id)

    def prune(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        with self._lock:
            before = self.clock() - timedelta(seconds=retention_seconds)
            return self._drop([t.task_id for t in self._tasks.values()
                               if t.status is Status.COMPLETE and t.date_modified < before]
                              [:limit])

    def prune_log(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        with self._lock:
            before = self.clock() - timedelta(seconds=retention_seconds)
            doomed = {e.task_log_id for e in self._log if e.date_added < before}
            doomed = set(sorted(doomed)[:limit])
            self._fold_out([e for e in self._log if e.task_log_id in doomed])
            self._log = [e for e in self._log if e.task_log_id not in doomed]
            return len(doomed)

    def clock_offset(self) -> float:
        """The store's clock is this machine's."""
        return 0.0

    def wake_address(self) -> WakeAddress:
        """Nowhere: a memory store's runners poll."""
        return None

    # -- the task log -------------------------------------------------------------------
    def log(self, *, task_id: int | None = None, cursor: int | None = None,
            limit: int = 50) -> list[LogEntry]:
        with self._lock:
            entries = [e for e in reversed(self._log)
                       if task_id in (None, e.task_id)
                       and (cursor is None or e.task_log_id < cursor)]
        return entries[:limit]

    def count_log(self, *, task_id: int | None = None) -> int:
        with self._lock:
            return sum(1 for e in self._log if task_id in (None, e.task_id))

    def clear_log(self) -> int:
        with self._lock:
            cleared = len(self._log)
            self._fold_out(self._log)
            self._log = []
            return cleared

    def _fold_out(self, entries: list[LogEntry]) -> None:
        """Entries about to go stay counted (the counters never fall)."""
        self._folded = merged(self._folded, entry_totals(entries))

    # -- extensions -----------------------------------------------------------------------
    def installed_modules(self, extension: str | None = None) -> list[InstalledModule]:
        with self._lock:
            return [m for m in self._modules if extension in (None, m.extension)]

    def mark_installed(self, extension: str, type_: str, code: str) -> bool:
        with self._lock:
            if self._find_module(extension, type_, code) is not None:
                return False
            self._modules.append(InstalledModule(extension=extension, type=type_, code=code,
                                                 date_added=self.clock()))
            return True

    def mark_uninstalled(self, extension: str, type_: str, code: str) -> bool:
        with self._lock:
            found = self._find_module(extension, type_, code)
            if found is not None:
                self._modules.remove(found)
            return found is not None

    def _find_module(self, extension: str, type_: str, code: str) -> InstalledModule | None:
        return next((m for m in self._modules
                     if (m.extension, m.type, m.code) == (extension, type_, code)), None)

    # -- runners ------------------------------------------------------------------------
    def register_runner(self, info: RunnerInfo) -> None:
        with self._lock:
            self._runners[info.runner_id] = info

    def unregister_runner(self, runner_id: str) -> None:
        with self._lock:
            self._runners.pop(runner_id, None)

    def runners(self) -> list[RunnerInfo]:
        with self._lock:
            return sorted(self._runners.values(), key=lambda info: info.started_at)

    # -- lifetime -----------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[MemoryStore]:
        with self._lock:
            saved = (dict(self._tasks), list(self._log), dict(self._folded),
                     dict(self._runners), list(self._modules), self._next_task_id,
                     self._next_log_id)
            accounts, schedules = self.accounts.snapshot(), self.schedules.snapshot()
            try:
                yield self
            except BaseException:
                self.accounts.restore(accounts)
                self.schedules.restore(schedules)
                (self._tasks, self._log, self._folded, self._runners, self._modules,
                 self._next_task_id, self._next_log_id) = saved
                raise

    def close(self) -> None:
        """Nothing to release."""
