"""The registry's verbs in memory: add, get, list, count, and the changes an admin makes to
chosen tasks (the SQL stores' are in sql/tasks.py)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from taskdesk.errors import BadStatus, TaskNotFound
from taskdesk.models.actions import SIDES
from taskdesk.models.tasks import WAITING, NewTask, Status, Task, TaskFilter
from taskdesk.models.workflows import waits_for_parents
from taskdesk.store.memory.state import MemoryState


class MemoryTaskVerbs(MemoryState):
    def add(self, tasks: Sequence[NewTask], *, replace: bool = True) -> list[Task]:
        if replace:
            tasks = list({new.code: new for new in tasks}.values())
        if any(new.max_attempts is None for new in tasks):
            raise ValueError("NewTask.max_attempts must be set before it reaches the store")
        with self._lock:
            if replace:
                codes = {new.code for new in tasks}
                self._delete_waiting([t.task_id for t in self._tasks.values()
                                      if t.code in codes and t.status in WAITING])
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
            limit=new.limit, trace_context=new.trace_context,
        )
        self._tasks[added.task_id] = added
        self._next_task_id += 1
        return added

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

    def count(self, where: TaskFilter) -> int:
        with self._lock:
            return len(self._matching(where))

    def _of_extension(self, extension: str, statuses: frozenset[Status]) -> list[int]:
        routes = tuple(f"task/{side}/{extension}." for side in SIDES)
        return [t.task_id for t in self._tasks.values() if t.status in statuses and (
            t.extension == extension or t.action.startswith(routes))]

    def count_extension_tasks(self, extension: str) -> int:
        with self._lock:
            return len(self._of_extension(extension, WAITING | {Status.PROCESSING}))

    def delete_extension_tasks(self, extension: str) -> int:
        with self._lock:
            return self._delete_waiting(self._of_extension(extension, WAITING))

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
            idle = self._idle(task_ids)
            now = self.clock()
            for t in idle:
                self._tasks[t.task_id] = retried(t, now)
            return len(idle)

    def _idle(self, task_ids: Sequence[int]) -> list[Task]:
        missing = sorted(set(task_ids) - self._tasks.keys())
        if missing:
            raise TaskNotFound(f"no task with id {', '.join(map(str, missing))}")
        found = (self._tasks[task_id] for task_id in set(task_ids))
        return [t for t in found if t.status is not Status.PROCESSING]

    def delete(self, task_ids: Sequence[int]) -> int:
        with self._lock:
            return self._delete_waiting([t.task_id for t in self._idle(task_ids)])

    def delete_by_code(self, code: str) -> int:
        with self._lock:
            return self._delete_waiting([t.task_id for t in self._tasks.values()
                                         if t.code == code and t.status is not Status.PROCESSING])

    def clear(self) -> int:
        with self._lock:
            return self._delete_waiting([t.task_id for t in self._tasks.values()
                                         if t.status is not Status.PROCESSING])


def retried(task: Task, now: datetime) -> Task:
    """What a retry makes of a task: pending, attempts 0, due now — except a workflow task
    that still waits for its parents, which keeps waiting (models/workflows.py)."""
    waiting = task.status is Status.PENDING and waits_for_parents(task.run_at)
    return replace(task, status=Status.PENDING, attempts=0,
                   run_at=task.run_at if waiting else now, date_modified=now)
