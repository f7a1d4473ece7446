"""A task's child process and the processes it starts: all of them end with the attempt, a
child's exit (not its pipe) tells a crash from a timeout, and its progress reaches the store."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.models.tasks import NewTask, Status
from taskdesk.store import open_store
from tests.runner.processes import Desk, end, wait_for
from tests.runner.test_runner_timeouts import comments, run, timeouts_desk


@pytest.fixture
def backend(real_backend: str) -> str:
    """SQLite and PostgreSQL: real workers open the database."""
    return real_backend


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Taskdesk]:
    yield from timeouts_desk(tmp_path)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its reaper has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def pids_in(path: Path) -> list[int]:
    return [int(word) for word in path.read_text().split()]


def test_a_timeout_kills_every_process_the_task_started(desk: Taskdesk, tmp_path: Path) -> None:
    pids = tmp_path / "pids"

    task = run(desk, "slow.family", pids=str(pids))

    assert (task.status, task.response) == (Status.FAILED, "timed out after 1 s")
    sleeper, forked = pids_in(pids)
    wait_for(lambda: not alive(sleeper) and not alive(forked), timeout=5,
             what="`sleep 120` and the forked copy to be killed with the attempt")


def test_a_child_that_exits_while_a_helper_holds_its_pipe_is_a_crash(
    desk: Taskdesk, tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"

    task = run(desk, "slow.forked_exit", pids=str(pids))

    assert task.status is Status.FAILED
    [comment] = comments(desk, task)
    assert comment.startswith("the task's process died (exit code 7); crash 1 of at most 2")
    [helper] = pids_in(pids)
    wait_for(lambda: not alive(helper), timeout=5, what="the helper to be killed")


def test_progress_reported_in_a_child_is_stored_while_it_runs_and_kept(desk: Taskdesk) -> None:
    task = run(desk, "slow.progress")

    assert task.status is Status.FAILED
    assert (task.response or "").startswith("RuntimeError: seen 30 a third")
    assert (task.progress, task.progress_message) == (70, "latest")


def test_a_killed_workers_task_children_and_forkserver_die_with_it(
    database_url: str, tmp_path: Path,
) -> None:
    url = database_url
    cli = Desk(tmp_path / "home", url, app="tests.apps.timeouts:desk")
    pids = tmp_path / "pids"
    store = open_store(url)
    try:
        store.add([NewTask(code="slow.pids", action="slow.pids", args={"pids": str(pids)},
                           max_attempts=1)])
    finally:
        store.close()
    worker = cli.spawn("worker")
    try:
        wait_for(pids.exists, timeout=30, what="the task to start in its child")
        wait_for(lambda: len(pids_in(pids)) == 3, timeout=5, what="the three pids")
        family = pids_in(pids)  # the child, its forkserver, the `sleep 120` it started
        os.kill(worker.pid, signal.SIGKILL)
        wait_for(lambda: not any(alive(pid) for pid in family), timeout=5,
                 what="the task's child, its sleeper and the forkserver to die with the worker")
    finally:
        end(worker)


def test_a_task_holding_the_gil_in_its_own_process_keeps_its_lease_and_runs_once(
    database_url: str, tmp_path: Path,
) -> None:
    """Two workers with a 2 s lease; the task holds the GIL for 5 s. In the runner's thread
    it would stop its worker's heartbeats and the other worker would run it again."""
    cli = Desk(tmp_path / "home", database_url, app="tests.apps.timeouts:desk",
               lease_seconds="2")
    starts = tmp_path / "starts"
    store = open_store(database_url)
    try:
        [task] = store.add([NewTask(code="slow.gil", action="slow.gil", max_attempts=3,
                                    args={"seconds": 5, "starts": str(starts)})])
        workers = [cli.spawn("worker"), cli.spawn("worker")]
        try:
            wait_for(lambda: store.get(task.task_id).status is Status.COMPLETE,  # type: ignore[union-attr]
                     timeout=60, what="the task to complete")
        finally:
            for worker in workers:
                end(worker)
        done = store.get(task.task_id)
    finally:
        store.close()
    assert done is not None
    assert (done.response, done.attempts) == ("held", 1)
    assert len(starts.read_text().split()) == 1
