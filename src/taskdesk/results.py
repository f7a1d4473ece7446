"""TaskHandle: what `enqueue` returns, so that a script can wait for the task it added.

    handle = send_report.enqueue(month="2026-11")
    handle.wait(timeout=60)          # returns once it is complete, failed or cancelled
    print(handle.status, handle.response)

A handle is the stored Task (every field reads as before: `task_id`, `code`, `args`,
`run_at` …) that also knows where to read it again: `refresh()` and `wait()` re-read the task
from the desk's registry and update the handle's fields in place, as Django's
`TaskResult.refresh()` does. A handle compares equal to a Task with the same fields.

Waiting polls the registry, every 50 ms at first and at most every second after: a wait adds
one indexed read per poll and nothing to the runners. A task deleted before it finished (by
hand, or pruned) cannot be waited for: `refresh()` and `wait()` raise TaskNotFound, saying what
its task log last recorded. A task enqueued with `connection=` exists for the handle once that
transaction commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from taskdesk.errors import BadInput, TaskNotFound, WaitTimedOut
from taskdesk.models.tasks import Status, Task
from taskdesk.registry import TaskRegistry

#: Statuses a task stays in unless someone retries it: what `wait()` waits for.
FINISHED = frozenset({Status.COMPLETE, Status.FAILED, Status.CANCELLED})
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 1.0
POLL_GROWTH = 1.5  # each poll waits this much longer than the one before, up to the max

#: Where a handle reads its task again: the desk's registry as it is now (a test may have
#: pointed the desk at another store since the task was added).
Registry = Callable[[], TaskRegistry]

_FIELDS = tuple(field.name for field in fields(Task))


class TaskHandle(Task):
    """A stored task that can be read again (`refresh`) and waited for (`wait`)."""

    _registry: Registry

    @classmethod
    def of(cls, task: Task, registry: Registry) -> TaskHandle:
        """A handle on `task`, read again through `registry()`."""
        handle = cls(**{name: getattr(task, name) for name in _FIELDS})
        object.__setattr__(handle, "_registry", registry)  # not a field: replace() drops it
        return handle

    @classmethod
    def get(cls, registry: TaskRegistry, task_id: int) -> TaskHandle:
        """A handle on a task added earlier, by its id (TaskNotFound if there is none)."""
        return cls.of(registry.get(task_id), lambda: registry)

    @property
    def finished(self) -> bool:
        """Whether its latest snapshot is complete, failed or cancelled."""
        return self.status in FINISHED

    def snapshot(self) -> Task:
        """Its latest snapshot as a plain Task."""
        return Task(**{name: getattr(self, name) for name in _FIELDS})

    def refresh(self) -> TaskHandle:
        """Read the task again; returns the handle, its fields updated."""
        registry = getattr(self, "_registry", None)
        if registry is None:
            raise BadInput(f"this copy of task {self.task_id} was made with replace(): it "
                           "cannot be read again; use the handle enqueue returned")
        try:
            latest = registry().get(self.task_id)
        except TaskNotFound:
            raise TaskNotFound(_gone(registry(), self)) from None
        for name in _FIELDS:
            object.__setattr__(self, name, getattr(latest, name))
        return self

    def wait(self, timeout: float | None = None, *,
             poll: float = FIRST_POLL_SECONDS) -> TaskHandle:
        """Wait until the task is complete, failed or cancelled, then return the handle.
        `timeout` is in seconds (None: as long as it takes); past it, WaitTimedOut names the
        task and its status. `poll` is the first interval between reads; it grows by half
        each time, up to a second. A task that fails an attempt but has attempts left is
        pending again: the wait goes on through its retries."""
        _check_seconds("timeout", timeout)
        _check_seconds("poll", poll)
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll
        while not self.refresh().finished:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise WaitTimedOut(f"task {self.task_id} ({self.action}) is still "
                                   f"{self.status.value} after {timeout:g} s of waiting")
            time.sleep(interval if left is None else min(interval, left))
            interval = min(interval * POLL_GROWTH, MAX_POLL_SECONDS)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Task):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS)

    __hash__ = None  # type: ignore[assignment]  # its fields change with refresh()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the plain Task it holds: a registry does not travel."""
        return (_task, (self.snapshot(),))


def _task(task: Task) -> Task:
    return task


def _gone(registry: TaskRegistry, handle: TaskHandle) -> str:
    """Why a handle's task cannot be read: what its task log last recorded, if anything."""
    entries = registry.log(task_id=handle.task_id, limit=1)
    last = (f"; its task log's last entry: {entries[0].status.value} (attempt "
            f"{entries[0].attempt})" if entries else "")
    return (f"task {handle.task_id} ({handle.action}) is gone: deleted, or pruned after "
            f"it finished, before it was read again{last}")


def _check_seconds(name: str, value: float | None) -> None:
    if value is None and name == "timeout":
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise BadInput(f"{name} must be a number of seconds, 0 or more, not {value!r}")
