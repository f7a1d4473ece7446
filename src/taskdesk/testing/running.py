"""run_due: every due task run now, in the test's process, on any store.

On a database (SQLite, PostgreSQL) it is a runner's drain: each attempt runs as a worker
would run it, a task with a `timeout=` or `process=True` in its own child process, which
opens the same database. On a memory store, which no child can open, every attempt runs in
the calling thread instead (its timeout not enforced).
"""

from __future__ import annotations

from taskdesk.app import Taskdesk
from taskdesk.controller import Context, Handler
from taskdesk.runner import Runner, RunStats
from taskdesk.runner.seams import ActionResolver
from taskdesk.store import MemoryStore


def run_due(desk: Taskdesk) -> RunStats:
    """Run every due task in this process, including tasks they add, until none is due;
    tasks scheduled for later (retries too) stay pending. Returns what happened."""
    if not isinstance(desk.store, MemoryStore):
        return desk.runner().drain()
    return in_this_thread(desk).drain()


def in_this_thread(desk: Taskdesk) -> Runner:
    """A runner of the desk that runs every attempt in the calling thread."""
    runner = desk.runner()
    runner.resolver = InThisThread(desk.handlers)
    return runner


class InThisThread:
    """The desk's allow-list and retry delays, with no child process for any task."""

    def __init__(self, resolver: ActionResolver) -> None:
        self.resolver = resolver

    def resolve(self, action: str, context: Context) -> Handler:
        return self.resolver.resolve(action, context)

    def retry_delay(self, action: str) -> float | None:
        return self.resolver.retry_delay(action)

    def timeout(self, action: str) -> float | None:
        return 0  # 0: no timeout, so the attempt runs in the runner's thread

    def own_process(self, action: str) -> bool:
        return False
