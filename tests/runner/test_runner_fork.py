"""Issue 7, item 7: a handler that calls os.fork() on PostgreSQL. The child must not share the
parent's pooled connections (SQLAlchemy's advice: dispose the pool in the child without
closing), and a child that comes back into the runner ends there instead of running on as a
second runner with the parent's identity. Both runs end, every task completes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from taskdesk.models.tasks import TaskFilter
from taskdesk.store import open_store
from tests.cli.harness import Cli
from tests.support import require_postgres, temporary_database

pytestmark = [pytest.mark.hostile, pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    require_postgres()
    with temporary_database() as url:
        installation = Cli(home=tmp_path / "home", database_url=url, in_process=True)
        installation.ok("init")
        yield installation


def test_a_handler_that_forks_leaves_no_task_processing(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    cli.add("fork_return", "tests.runner.hostile_handlers:fork_and_return",
            "--args", json.dumps({"marker": str(marker)}), "--priority", "3")
    cli.add("fork_exit", "tests.runner.hostile_handlers:fork_and_exit", "--priority", "2")
    for n in range(3):
        cli.add(f"after_{n}", "tests.support.handlers:noop")

    result = cli.real_process().run("start", "--quiet")  # the fork happens in a real runner

    assert result.code == 0, result
    assert marker.exists()  # the child did run
    tasks = {t["code"]: t for t in cli.tasks()}
    assert {code: t["status"] for code, t in tasks.items()} == dict.fromkeys(tasks, "complete")
    assert tasks["fork_return"]["response"] == "parent"
    assert tasks["fork_exit"]["response"] == "parent"
    assert all(t["attempts"] == 1 for t in tasks.values())
    # One attempt each, logged once: the child never finished a task as a second runner.
    assert sorted(entry["code"] for entry in cli.log()) == sorted(tasks)


def pooled(engine: Engine) -> int:
    """Connections idle in the engine's pool (a QueuePool on PostgreSQL)."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedin()


def test_a_forked_child_starts_with_empty_pools(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        before = store.count(TaskFilter())  # leaves a connection in the pool the parent uses
        store.db.runner_writer.connect().close()
        assert pooled(store.engine) == 1
        pid = os.fork()
        if pid == 0:  # the child: exit at once, with what it found, running no clean-up
            code = 2
            try:  # whatever happens, the child must never return into pytest
                code = 0 if pooled(store.engine) == 0 == pooled(store.db.runner_writer) else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "the child inherited pooled connections"
        assert store.count(TaskFilter()) == before  # and the parent's connection still works
    finally:
        store.close()
