"""A running task cancelled, in a runner in this process, on every backend: it is told
(Controller.cancelled, taskdesk.cancelled()) within seconds — on SQLite and PostgreSQL well
inside one heartbeat interval, because the cancel notifies the runner, which heartbeats at
once; on a memory store at the next heartbeat — it stops, and the task stays cancelled, its
outcome refused and logged. A lost lease is not a cancel. Outside a runner, cancelled() is
False."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import taskdesk
from taskdesk import Status, Taskdesk
from taskdesk.config import Settings
from taskdesk.controller import Context
from taskdesk.registry import TaskRegistry
from taskdesk.store import MemoryStore, Store
from tests.runner.cancel_handlers import Polite, until_cancelled
from tests.runner.processes import wait_for

TOLD_WITHIN = 3.0  # seconds: a third of the default heartbeat interval (10 s)


@pytest.fixture
def desk(store: Store, settings: Settings) -> Taskdesk:
    # A memory store has nobody to notify: its runner learns at its heartbeat, made short.
    beat = 0.2 if isinstance(store, MemoryStore) else 0.0  # else a third of the 30 s lease
    return Taskdesk(settings.evolve(heartbeat_seconds=beat), store=store, max_attempts=1)


@pytest.fixture
def worker(desk: Taskdesk) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=lambda: desk.runner().run(stop, concurrency=2))
    thread.start()
    yield
    stop.set()
    thread.join(10)


def test_a_function_task_is_told_within_seconds_and_stays_cancelled(
        desk: Taskdesk, worker: None, tmp_path: Path) -> None:
    marker, out = tmp_path / "started", tmp_path / "out"
    task = desk.task(until_cancelled).enqueue(marker=str(marker), out=str(out))
    wait_for(marker.exists, timeout=10, what="the task to start")

    assert desk.tasks.cancel([task.task_id], by="a test") == [task.task_id]
    cancelled_at = time.monotonic()
    wait_for(out.exists, timeout=TOLD_WITHIN, what="the task to be told")
    assert out.read_text().startswith("told after")
    assert time.monotonic() - cancelled_at < TOLD_WITHIN

    wait_for(lambda: len(desk.tasks.log(task_id=task.task_id)) == 2, timeout=5,
             what="the refused outcome to be logged")
    row = desk.tasks.get(task.task_id)
    assert (row.status, row.response, row.worker_id) == (Status.CANCELLED, None, None)
    refused, cancel = desk.tasks.log(task_id=task.task_id)
    assert cancel.status is Status.CANCELLED
    assert "cancelled by a test while running" in cancel.comment
    assert refused.status is Status.CANCELLED
    assert refused.comment.startswith("cancelled while running; the attempt ended complete")


def test_a_controller_reads_self_cancelled(desk: Taskdesk, worker: None,
                                            tmp_path: Path) -> None:
    marker = tmp_path / "started"
    task = desk.task(Polite).enqueue(marker=str(marker))
    wait_for(marker.exists, timeout=10, what="the controller to start")

    desk.tasks.cancel([task.task_id])
    wait_for(lambda: len(desk.tasks.log(task_id=task.task_id)) == 2, timeout=TOLD_WITHIN,
             what="the controller to stop")
    refused, cancel = desk.tasks.log(task_id=task.task_id)
    assert "stopped" in refused.comment
    assert "cancelled by the application while running attempt 1" in cancel.comment
    assert desk.tasks.get(task.task_id).status is Status.CANCELLED


def test_outside_a_runner_nothing_is_cancelled(desk: Taskdesk) -> None:
    assert taskdesk.cancelled() is False
    context = Context(tasks=TaskRegistry(desk.store, desk.settings), log=desk.error_log,
                      config=desk.settings)
    assert not Polite(context).cancelled
    assert Polite(context).cancelled() is False
