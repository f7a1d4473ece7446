"""What a worker holds while a task is slow (issue 14, items 1 and 12): only that task. The
outcomes of the tasks before it are already stored; the tasks after it were never claimed,
so another worker takes them at once, and a kill charges an attempt to the running task
alone."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.config import Settings
from taskdesk.models.tasks import NewTask, Status
from taskdesk.registry import TaskRegistry
from taskdesk.runner import Runner
from taskdesk.store import open_store
from tests.runner.handlers import ended, started
from tests.runner.processes import Desk, end, wait_for
from tests.runner.test_runner import make_runner

BEFORE, AFTER = 9, 22  # quick tasks before the slow one and after it (a claim of 32)
SLOW_SECONDS = 1.5
STORED_WITHIN = 0.1  # seconds from an attempt's end to its outcome in the database
TAKEN_WITHIN = 1.0  # seconds from the slow task's start to every task after it complete


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def batch(folder: Path, *, max_attempts: int = 3) -> list[NewTask]:
    """BEFORE quick tasks, the slow one, AFTER quick ones, in the claim's order."""
    def stamp(name: str, seconds: float = 0.0) -> NewTask:
        return NewTask(code=name, action="tests.runner.handlers:stamp",
                       args={"folder": str(folder), "name": name, "seconds": seconds},
                       max_attempts=max_attempts)
    return ([stamp(f"before{n}") for n in range(BEFORE)] + [stamp("slow", SLOW_SECONDS)]
            + [stamp(f"after{n}") for n in range(AFTER)])


@contextmanager
def workers(runners: list[Runner]) -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=r.run, args=(stop,)) for r in runners]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def test_a_slow_task_holds_back_neither_earlier_outcomes_nor_later_tasks(
        database_url: str, settings: Settings, tmp_path: Path) -> None:
    store = open_store(database_url)
    try:
        registry = TaskRegistry(store, settings)
        registry.add_many(batch(tmp_path))
        fast = settings.evolve(poll_seconds=0.05)
        with workers([make_runner(store, fast), make_runner(store, fast)]):
            wait_for(lambda: registry.count(status=Status.COMPLETE) == BEFORE + AFTER + 1,
                     timeout=30, what="every task to complete")
        log = {entry.code: entry for entry in store.log(limit=100)}
    finally:
        store.close()

    slow_began = started(tmp_path, "slow")
    late = {code: round(entry.date_added.timestamp() - ended(tmp_path, code), 3)
            for code, entry in log.items() if code != "slow"}
    assert {code: lag for code, lag in late.items() if lag > STORED_WITHIN} == {}
    after = {f"after{n}": ended(tmp_path, f"after{n}") - slow_began for n in range(AFTER)}
    assert {code: round(wait, 3) for code, wait in after.items() if wait > TAKEN_WITHIN} == {}


@pytest.mark.slow
def test_a_worker_killed_during_a_slow_task_charges_that_task_alone(
        database_url: str, tmp_path: Path) -> None:
    """With one attempt each: only the task that was running when its worker was killed
    ends failed; every other task, claimed or not, runs once and completes."""
    desk = Desk(tmp_path / "home", database_url, lease_seconds="1", poll_seconds="0.05")
    app = Taskdesk(database_url=database_url, home=tmp_path / "home",
                   allowed_actions=("tests",))
    try:
        app.tasks.add_many(batch(tmp_path, max_attempts=1))
    finally:
        app.close()
    worker = desk.spawn("worker")
    try:
        wait_for((tmp_path / "slow.started").exists, timeout=30, what="the slow task")
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=10)
    finally:
        end(worker)

    def recovered_and_run() -> bool:
        time.sleep(0.2)
        desk.run("start", "--quiet")  # recovers the slow task once its lease has expired
        return all(t["status"] != "processing" for t in desk.json("task", "list"))

    wait_for(recovered_and_run, timeout=30, what="the next start to recover the slow task")
    tasks = {t["code"]: (t["status"], t["attempts"]) for t in desk.json("task", "list")}
    assert tasks.pop("slow") == ("failed", 1)
    assert set(tasks.values()) == {("complete", 1)}
    assert len(tasks) == BEFORE + AFTER
