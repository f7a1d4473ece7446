"""Helpers for an application's own tests (docs/testing.md).

    from myapp.tasks import desk, send_welcome
    from taskdesk.testing import assert_enqueued, in_memory, on_sqlite, run_due

    def test_welcome_is_sent(tmp_path):
        with on_sqlite(desk, tmp_path / "taskdesk.db"):
            send_welcome.enqueue(user_id=42)
            assert_enqueued(send_welcome, user_id=42)
            stats = run_due(desk)
        assert stats.by_status == {Status.COMPLETE: 1}

- `on_sqlite(desk, path)`: the desk on a throwaway SQLite file (a real database: the
  application's own connection can enqueue in its transaction, and tasks with a timeout run
  in child processes that open the same file);
- `in_memory(desk)` / `memory_desk()`: on a memory store, no file at all;
- `eager(desk)`: every enqueue runs its task at once (unit tests; read its limits);
- `run_due(desk)`: run every due task now, in this process, on any of them or on a real
  database;
- `enqueued(definition)` / `assert_enqueued(definition, **args)`: what is waiting to run;
- the pytest plugin (taskdesk.testing.pytest_plugin, loaded by entry point): the fixture
  `taskdesk_desk`, the desk of `taskdesk_app` on a throwaway SQLite file.
"""

from __future__ import annotations

from taskdesk.testing.asserts import assert_enqueued, enqueued
from taskdesk.testing.eager import eager
from taskdesk.testing.memory import in_memory, memory_desk
from taskdesk.testing.running import run_due
from taskdesk.testing.sqlite import on_sqlite

__all__ = ["assert_enqueued", "eager", "enqueued", "in_memory", "memory_desk", "on_sqlite",
           "run_due"]
