"""Issue 7, item 5: a handler that raises KeyboardInterrupt, GeneratorExit, SystemExit or a bare
BaseException fails that task and nothing else; a worker thread that dies anyway says so,
gives back its task and stops the worker with an error, so that a supervisor restarts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.models.tasks import Status, Task
from taskdesk.registry import TaskRegistry
from taskdesk.runner import RunnerHooks
from taskdesk.runner.shutdown import on_stop
from taskdesk.store import Store
from tests.cli.harness import MODULE_COMMAND, REPO_ROOT, Cli
from tests.runner.processes import wait_for
from tests.runner.test_runner import make_runner, run_worker_until

pytestmark = pytest.mark.hostile

RAISE_BASE = "tests.runner.hostile_handlers:raise_base"
KINDS = ["KeyboardInterrupt", "GeneratorExit", "SystemExit", "BaseException"]
TIMEOUT = 60.0


@pytest.mark.parametrize("kind", KINDS)
def test_start_fails_the_task_and_runs_the_next(
    kind: str, store: Store, settings: Settings
) -> None:
    registry = TaskRegistry(store, settings)
    raising = registry.add("raising", RAISE_BASE, {"kind": kind}, max_attempts=1)
    after = registry.add("after", "tests.support.handlers:noop")
    stop = threading.Event()

    with on_stop(stop):  # as `taskdesk start` runs it: SIGINT and SIGTERM are handled
        stats = make_runner(store, settings).drain(stop)

    failed = registry.get(raising.task_id)
    assert failed.status is Status.FAILED
    assert failed.response is not None
    assert failed.response.startswith(f"{kind}: raised by the task: {kind}")
    assert registry.get(after.task_id).status is Status.COMPLETE
    assert stats.by_status == {Status.FAILED: 1, Status.COMPLETE: 1}


@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_thread_survives_a_task_that_raises_it(
    kind: str, store: Store, settings: Settings
) -> None:
    registry = TaskRegistry(store, settings)
    raising = registry.add("raising", RAISE_BASE, {"kind": kind}, max_attempts=1)
    after = registry.add("after", "tests.support.handlers:noop", priority=-1)
    runner = make_runner(store, settings.evolve(poll_seconds=0.01))

    run_worker_until(runner, lambda: registry.get(after.task_id).status is Status.COMPLETE)

    assert registry.get(raising.task_id).status is Status.FAILED
    assert registry.get(after.task_id).status is Status.COMPLETE


class DyingHooks(RunnerHooks):
    """Kills the worker thread that is about to run a task, as nothing in a task can now."""

    def before_task(self, task: Task) -> None:
        raise BaseException("the thread's own code died")


def test_a_worker_whose_thread_dies_gives_its_task_back_and_fails(
    store: Store, settings: Settings
) -> None:
    from taskdesk.errors import WorkerFailed

    registry = TaskRegistry(store, settings)
    task = registry.add("victim", "tests.support.handlers:noop")
    runner = make_runner(store, settings.evolve(poll_seconds=0.01), DyingHooks())
    stop = threading.Event()
    timer = threading.Timer(20, stop.set)  # a worker that never notices must still end
    timer.start()
    try:
        with pytest.raises(WorkerFailed, match=r"thread taskdesk-worker-\d died of BaseException"
                           r": the thread's own code died"):
            runner.run(stop, concurrency=2)
    finally:
        timer.cancel()

    given_back = registry.get(task.task_id)
    assert (given_back.status, given_back.attempts, given_back.worker_id) == (
        Status.PENDING, 0, None)


# -- the real command ---------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    installation = Cli(home=tmp_path / "home",
                       database_url=f"sqlite:///{tmp_path / 'home' / 'db.sqlite'}",
                       in_process=True)  # set-up and checks; the runners below are real
    installation.ok("init")
    return installation


@pytest.mark.slow
def test_taskdesk_start_survives_a_task_that_raises_keyboard_interrupt(cli: Cli) -> None:
    args = json.dumps({"kind": "KeyboardInterrupt"})
    cli.add("raising", RAISE_BASE, "--args", args, "--max-attempts", "1")
    cli.add("after", "tests.support.handlers:noop")

    result = cli.real_process().run("start")

    assert result.code == 0, result
    assert "runner summary" in result.stdout
    assert {t["code"]: t["status"] for t in cli.tasks()} == {
        "raising": "failed", "after": "complete"}


@pytest.mark.slow
def test_taskdesk_worker_goes_on_after_a_task_that_raises_base_exception(cli: Cli) -> None:
    args = json.dumps({"kind": "BaseException"})
    cli.add("raising", RAISE_BASE, "--args", args, "--max-attempts", "1")
    worker = subprocess.Popen(
        [*MODULE_COMMAND, "worker"], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**cli.env, "TASKDESK_POLL_SECONDS": "0.1"},
    )
    try:
        def status(code: str) -> str:
            return str({t["code"]: t["status"] for t in cli.tasks()}.get(code))

        wait_for(lambda: status("raising") == "failed", timeout=TIMEOUT, what="the failure")
        cli.add("after", "tests.support.handlers:noop")
        wait_for(lambda: status("after") == "complete", timeout=TIMEOUT,
                 what="the worker's thread to run the next task")
        assert worker.poll() is None
        os.kill(worker.pid, signal.SIGTERM)
        _, stderr = worker.communicate(timeout=TIMEOUT)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=10)
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr

