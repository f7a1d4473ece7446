"""eager: `enqueue` runs the task at once, in the test's thread, for unit tests.

    with eager(desk):
        handle = send_welcome.enqueue(user_id=42)
    assert handle.status is Status.COMPLETE

The desk is on a fresh memory store for the block (as `in_memory`), and each add through it
(`enqueue`, `enqueue_many`, `desk.tasks.add`) is followed by `run_due`: the task runs as a
runner would run it (allow-list, task log, its response stored), and the add returns it
finished. Its limits, chosen so that a unit test stays simple and says so:

- no transactions: `using(connection=…)` is ignored, and the task runs even if the caller's
  transaction then rolls back (test that with `on_sqlite`);
- no concurrency: the task runs in the caller's thread, a `timeout=` not enforced and no child
  process started; a task that a task adds runs after it, before the first add returns;
- retries only without a delay: a failed attempt with attempts left is retried in the same
  add when its retry delay is 0 (`retry_delay=0`, TASKDESK_RETRY_DELAY_SECONDS=0), else the
  task stays pending, due later, and the add returns it so; a failure never raises in the
  caller: read `status`, `error_class` and `response`;
- a task whose `run_after` is later stays pending, as its due time has not come;
- workflows and schedules are not eager: run them with `run_due`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from taskdesk.app import Taskdesk
from taskdesk.clock import Clock, utcnow
from taskdesk.errors import TaskNotFound
from taskdesk.models.tasks import NewTask, Task
from taskdesk.registry import TaskRegistry
from taskdesk.testing.memory import in_memory
from taskdesk.testing.running import in_this_thread


@contextmanager
def eager(desk: Taskdesk, *, home: Path | None = None,
          clock: Clock = utcnow) -> Iterator[Taskdesk]:
    """Point the desk at a fresh memory store for the block, where every add runs its tasks
    at once and returns them finished; then give it back its own store."""
    with in_memory(desk, home=home, clock=clock):
        vars(desk)["tasks"] = EagerRegistry(desk)  # its cached registry; in_memory drops it
        yield desk


class EagerRegistry(TaskRegistry):
    """The desk's registry, running what it adds before returning it."""

    def __init__(self, desk: Taskdesk) -> None:
        super().__init__(desk.store, desk.settings, gate=desk.handlers.check,
                         check_args=desk.handlers.check_args)
        self.desk = desk
        self.running = threading.Lock()  # one run at a time: a task's adds wait for it
        self.inside = threading.local()  # set while this thread runs tasks

    def add_many(self, tasks: Iterable[NewTask], *, replace: bool = True,
                 connection: object | None = None) -> list[Task]:
        """Add (`connection` ignored: no transaction), run, and return them as they ended."""
        added = super().add_many(tasks, replace=replace)
        if getattr(self.inside, "yes", False):
            return added  # a task's own add: it runs after that task, in the same run
        with self.running:
            self.inside.yes = True
            try:
                in_this_thread(self.desk).drain()
            finally:
                self.inside.yes = False
        return [self._latest(task) for task in added]

    def _latest(self, task: Task) -> Task:
        try:
            return self.get(task.task_id)
        except TaskNotFound:  # the task deleted itself (or a later one replaced it)
            return task
