"""What a runner is given and gives back: the resolver of actions, the hooks that watch it,
and the statistics of a run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from taskdesk.controller import Context, Handler
from taskdesk.models.tasks import Outcome, Status, Task


class ActionResolver(Protocol):
    """Turns a task's action into its handler (handlers.Handlers, with the allow-list)."""

    def resolve(self, action: str, context: Context) -> Handler: ...

    def retry_delay(self, action: str) -> float | None:
        """The task's own first retry delay, or None for the runner's."""
        ...

    def timeout(self, action: str) -> float | None:
        """The task's own timeout in seconds (0: none), or None for the runner's."""
        ...

    def own_process(self, action: str) -> bool:
        """Whether the task's attempts run in a child process even without a timeout."""
        ...


class RunnerHooks:
    """Override to watch a runner (progress bars, metrics); a failing hook is only logged."""

    def before_task(self, task: Task) -> None:
        """A claimed task is about to run."""

    def after_task(self, task: Task, outcome: Outcome) -> None:
        """A task's attempt ended and its outcome is stored."""


@dataclass
class RunStats:
    """What a runner did; `by_status` counts outcomes (pending means retry scheduled)."""

    by_status: dict[Status, int] = field(default_factory=dict)
    recovered: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: Status) -> None:
        with self._lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.by_status.values())
