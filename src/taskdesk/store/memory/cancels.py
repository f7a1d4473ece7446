"""MemoryCancelStore: the cancel in plain Python, the reference for the SQL one (see
store/cancels.py). It shares its owner's lock and clock (a MemoryStore): a cancel and a
finish never interleave; a cancelled task's workflow dependents are cancelled with it. (A
memory store's runners poll: there is nobody to wake; they learn of a cancel at their next
heartbeat.)"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from taskdesk.errors import TaskNotFound
from taskdesk.models.tasks import Status
from taskdesk.store.cancels import CANCELLABLE, cancel_comment

if TYPE_CHECKING:
    from taskdesk.store.memory.store import MemoryStore


class MemoryCancelStore:
    def __init__(self, owner: MemoryStore, lock: threading.RLock) -> None:
        self.owner = owner
        self._lock = lock

    def cancel(self, task_ids: Sequence[int], *, by: str,
               missing_ok: bool = False) -> list[int]:
        with self._lock:
            tasks = self.owner.tasks_by_id()
            missing = sorted(set(task_ids) - set(tasks))
            if missing and not missing_ok:
                raise TaskNotFound(f"no task with id {', '.join(map(str, missing))}")
            now = self.owner.clock()
            cancelled = []
            for task_id in sorted(set(task_ids) - set(missing)):
                task = tasks[task_id]
                if task.status not in CANCELLABLE:
                    continue
                self.owner.log_entry(task, Status.CANCELLED, cancel_comment(
                    by, task.status, task.worker_id, task.attempts), task.worker_id)
                tasks[task_id] = replace(task, status=Status.CANCELLED, worker_id=None,
                                         lease_expires_at=None, claim_token=None,
                                         date_modified=now)
                cancelled.append(task_id)
            # their workflow dependents, transitively (run_on_failure ones are released)
            return cancelled + self.owner.workflows.cancel_dependents(cancelled)

    def cancelled_among(self, task_ids: Sequence[int]) -> list[int]:
        with self._lock:
            tasks = self.owner.tasks_by_id()
            return sorted(task_id for task_id in set(task_ids)
                          if task_id in tasks and tasks[task_id].status is Status.CANCELLED)
