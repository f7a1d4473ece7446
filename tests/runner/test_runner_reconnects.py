"""A runner whose pooled connections PostgreSQL closed while a task ran (a restart,
pg_terminate_backend) still stores that task's outcome on a new connection: the task is not
left to its lease and run a second time. (Found by the chaos test: a repeat with no kill.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.models.tasks import Status
from tests.support.handlers import end_other_backends


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_task_whose_runner_lost_its_connections_while_it_ran_runs_once(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    desk = Taskdesk(database_url=database_url, home=tmp_path, allowed_actions=("tests",))
    try:
        task = desk.tasks.add("cut", "tests.support.handlers:end_other_backends",
                              {"database_url": database_url})
        stats = desk.runner().drain()
        ran = desk.tasks.get(task.task_id)
    finally:
        desk.close()
    assert ran is not None
    assert (ran.status, ran.attempts, stats.total) == (Status.COMPLETE, 1, 1)
    assert int(ran.response or 0) >= 1  # it did end the runner's connections


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_runner_whose_pooled_connections_were_closed_before_it_started_still_runs(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    """A worker that starts as the server restarts (or, in the chaos test, as an operator
    terminates the workers' connections) registers on a new connection instead of exiting."""
    desk = Taskdesk(database_url=database_url, home=tmp_path, allowed_actions=("tests",))
    try:
        task = desk.tasks.add("after", "tests.support.handlers:noop")  # the pool holds a connection
        assert end_other_backends(database_url) >= 1

        stats = desk.runner().drain()
        ran = desk.tasks.get(task.task_id)
    finally:
        desk.close()
    assert ran is not None
    assert (ran.status, stats.total) == (Status.COMPLETE, 1)
