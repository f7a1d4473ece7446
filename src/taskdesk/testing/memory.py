"""An application's desk on a memory store for a block: no database server and no file.

The memory store keeps the tasks, the task log and installed modules for the length of the
block. It lives in the test's process only, so `run_due` runs every attempt there, in the
calling thread — tasks with a `timeout=` or `process=True` too, their timeout not enforced —
and `using(connection=…)` is refused (there is no database transaction to join): for either,
use `on_sqlite` (taskdesk.testing.sqlite).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from taskdesk.app import Taskdesk
from taskdesk.clock import Clock, utcnow
from taskdesk.store import MemoryStore


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
