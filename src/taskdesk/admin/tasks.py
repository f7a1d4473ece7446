"""TaskChanges: what the admin changes in the task registry (Extensions > Tasks and its API),
each change with its audit entry in the change's own transaction: both or neither. A change by
filter runs a chunk of tasks per transaction; its entry is written in the last chunk's, with
the total it changed.

    changes.retry(Actor("ann", "10.0.0.7"), [12, 13])     # "tasks.retry" of "tasks 12, 13"
    changes.delete_matching(Actor("ann"), code="report")  # "tasks matching code=report"
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from taskdesk.accounts.audit import Audited, audited, chunk_audit
from taskdesk.models.accounts import Actor
from taskdesk.models.tasks import JsonObject, Status, Task
from taskdesk.registry import TaskRegistry
from taskdesk.store import SqlStore, Store

SHOWN_IDS = 20  # ids an entry's target names; more are "…"


class TaskChanges:
    """The registry's changes made for someone (`by`); every method returns what changed."""

    def __init__(self, store: Store, registry: Callable[[Store], TaskRegistry]) -> None:
        self.store = store
        self._registry = registry

    @contextmanager
    def _change(self, by: Actor) -> Iterator[tuple[TaskRegistry, Audited]]:
        """The registry bound to one transaction with the entry; idle workers are told after
        the commit (a task the change made due is then there to claim)."""
        with audited(self.store, by) as change:
            yield self._registry(change.store), change
        if isinstance(self.store, SqlStore):
            self.store.announce_after()

    def add(self, by: Actor, code: str, action: str, args: JsonObject | None = None,
            **options: Any) -> Task:
        """Add a task (the allow-list applies); options as TaskRegistry.add's."""
        with self._change(by) as (tasks, change):
            task = tasks.add(code, action, args, **options)
            change.record("tasks.add", f"task {task.task_id}", f"{task.code} {task.action}")
        return task

    def set_status(self, by: Actor, status: Status | str, task_ids: Sequence[int]) -> int:
        if _is_cancel(status):  # the one way to cancel, which names who did it
            return self.cancel(by, task_ids)
        with self._change(by) as (tasks, change):
            changed = tasks.set_status(status, task_ids)
            change.record("tasks.status", _ids(task_ids), _status_detail(status, changed))
        return changed

    def delete(self, by: Actor, task_ids: Sequence[int]) -> int:
        with self._change(by) as (tasks, change):
            changed = tasks.delete(task_ids)
            change.record("tasks.delete", _ids(task_ids), f"{changed} deleted")
        return changed

    def retry(self, by: Actor, task_ids: Sequence[int]) -> int:
        with self._change(by) as (tasks, change):
            changed = tasks.retry(task_ids)
            change.record("tasks.retry", _ids(task_ids), f"{changed} retried")
        return changed

    def cancel(self, by: Actor, task_ids: Sequence[int]) -> int:
        """Cancel these tasks, running ones too (TaskRegistry.cancel); the log entries name
        the admin user."""
        with self._change(by) as (tasks, change):
            changed = len(tasks.cancel(task_ids, by=cancelled_by(by)))
            change.record("tasks.cancel", _ids(task_ids), f"{changed} cancelled")
        return changed

    def cancel_one(self, by: Actor, task_id: int) -> int:
        """Cancel one task (UnknownTask if there is none); 0 when it had ended already."""
        return self.cancel(by, [task_id])

    def delete_one(self, by: Actor, task_id: int) -> int:
        """Delete one task (UnknownTask if there is none); 0 when it is running."""
        with self._change(by) as (tasks, change):
            tasks.get(task_id)
            changed = tasks.delete([task_id])
            change.record("tasks.delete", f"task {task_id}", f"{changed} deleted")
        return changed

    def retry_one(self, by: Actor, task_id: int) -> int:
        """Retry one task (UnknownTask if there is none); 0 when it is running."""
        with self._change(by) as (tasks, change):
            tasks.get(task_id)
            changed = tasks.retry([task_id])
            change.record("tasks.retry", f"task {task_id}", f"{changed} retried")
        return changed

    def delete_by_code(self, by: Actor, code: str) -> int:
        with self._change(by) as (tasks, change):
            changed = tasks.delete_by_code(code)
            change.record("tasks.delete_code", f"code {code}", f"{changed} deleted")
        return changed

    def clear(self, by: Actor) -> int:
        with self._change(by) as (tasks, change):
            changed = tasks.clear()
            change.record("tasks.clear", "all tasks", f"{changed} deleted")
        return changed

    # -- by filter: a chunk per transaction, the entry in the last one ------------------------
    def set_status_matching(self, by: Actor, status: Status | str, **filters: Any) -> int:
        if _is_cancel(status):
            return self.cancel_matching(by, **filters)
        then = chunk_audit(by, "tasks.status", _matching(filters),
                           lambda changed: _status_detail(status, changed))
        return self._registry(self.store).set_status_matching(status, then=then, **filters)

    def delete_matching(self, by: Actor, **filters: Any) -> int:
        then = chunk_audit(by, "tasks.delete", _matching(filters), lambda n: f"{n} deleted")
        return self._registry(self.store).delete_matching(then=then, **filters)

    def cancel_matching(self, by: Actor, **filters: Any) -> int:
        then = chunk_audit(by, "tasks.cancel", _matching(filters), lambda n: f"{n} cancelled")
        return self._registry(self.store).cancel_matching(by=cancelled_by(by), then=then,
                                                          **filters)

    def retry_failed(self, by: Actor, error_class: str) -> int:
        """Retry the failed tasks of one error class (TaskRegistry.retry_failed)."""
        then = chunk_audit(by, "tasks.retry", _of_class(error_class), lambda n: f"{n} retried")
        return self._registry(self.store).retry_failed(error_class, then=then)

    def cancel_failed(self, by: Actor, error_class: str) -> int:
        """Cancel the failed tasks of one error class (TaskRegistry.cancel_failed)."""
        then = chunk_audit(by, "tasks.cancel", _of_class(error_class),
                           lambda n: f"{n} cancelled")
        return self._registry(self.store).cancel_failed(error_class, by=cancelled_by(by),
                                                        then=then)

    def retry_matching(self, by: Actor, **filters: Any) -> int:
        then = chunk_audit(by, "tasks.retry", _matching(filters), lambda n: f"{n} retried")
        return self._registry(self.store).retry_matching(then=then, **filters)


def cancelled_by(actor: Actor) -> str:
    """Who a cancel's task log entry names: the admin user, and from where."""
    where = f" from {actor.address}" if actor.address else ""
    return f"admin user {actor.name}{where}"


def _is_cancel(status: Status | str) -> bool:
    return (status if isinstance(status, Status) else Status.parse(status)) is Status.CANCELLED


def _status_detail(status: Status | str, changed: int) -> str:
    return f"status {status.value if isinstance(status, Status) else status}, {changed} changed"


def _of_class(error_class: str) -> str:
    return f"failed tasks of error class {error_class}"


def _ids(task_ids: Sequence[int]) -> str:
    """`tasks 1, 2, 3`, at most SHOWN_IDS of them."""
    shown = ", ".join(map(str, task_ids[:SHOWN_IDS]))
    return f"tasks {shown}" + (" …" if len(task_ids) > SHOWN_IDS else "")


def _matching(filters: dict[str, Any]) -> str:
    """`tasks matching code=x, args={"a": 1}`, as the filter's query string names it."""
    shown = [f"{key}={value}" for key, value in filters.items()
             if key not in ("args", "code_exact") and value not in (None, "", False)]
    if filters.get("args"):
        shown.append(f"args={json.dumps(filters['args'], ensure_ascii=False)}")
    if filters.get("code_exact"):
        shown.append("code_exact=true")
    return "tasks matching " + (", ".join(shown) or "anything")
