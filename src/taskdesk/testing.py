"""Helpers for an application's own tests: its tasks on a memory store, run in-process.

    from myapp.tasks import desk, send_welcome
    from taskdesk.testing import in_memory, run_due

    def test_welcome_is_sent(tmp_path):
        with in_memory(desk, home=tmp_path):
            send_welcome.enqueue(user_id=42)
            stats = run_due(desk)
        assert stats.by_status[Status.COMPLETE] == 1

No database server and no file: the memory store keeps the tasks, the task log and installed
modules for the length of the block. Tasks run as a runner would run them — allow-list,
retries and the task log included — in the calling thread's process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from taskdesk.app import Taskdesk
from taskdesk.clock import Clock, utcnow
from taskdesk.runner import RunStats
from taskdesk.store import MemoryStore

__all__ = ["in_memory", "memory_desk", "run_due"]


def memory_desk(*, clock: Clock = utcnow, **settings: Any) -> Taskdesk:
    """A new Taskdesk on a memory store; keyword arguments are settings (`home=` for where
    the error log goes)."""
    return Taskdesk(store=MemoryStore(clock=clock), **settings)


@contextmanager
def in_memory(desk: Taskdesk, *, home: Path | None = None,
              clock: Clock = utcnow) -> Iterator[Taskdesk]:
    """Point an application's desk at a fresh memory store for the block (and its error log
    at `home`), then give it back its own store."""
    settings = desk.settings if home is None else desk.settings.evolve(home=home)
    previous = desk._swap(MemoryStore(clock=clock), settings)
    try:
        yield desk
    finally:
        desk._swap(*previous)


def run_due(desk: Taskdesk) -> RunStats:
    """Run every due task in this process, including tasks they add, until none is due;
    tasks scheduled for later (retries too) stay pending."""
    return desk.runner().drain()
