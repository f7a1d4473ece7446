"""Runners and queues with real threads: a worker given queues never runs another queue's
task, and a queue capped at N never has more than N tasks running at once on a worker."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from taskdesk.app import Taskdesk
from taskdesk.models.tasks import Status
from taskdesk.testing import memory_desk
from tests.runner.test_runner import run_worker_until

TASK_SECONDS = 0.05  # long enough for four threads to overlap, were they allowed to


class Gauge:
    """Counts tasks running at once, and which ran."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.ran: list[str] = []
        self.most_of: dict[str, int] = {}  # the most at once per queue (a label's first letter)
        self._of: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, label: str) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.ran.append(label)
            queue = label[0]
            self._of[queue] = self._of.get(queue, 0) + 1
            self.most_of[queue] = max(self.most_of.get(queue, 0), self._of[queue])

    def leave(self, label: str) -> None:
        with self._lock:
            self.running -= 1
            self._of[label[0]] -= 1


def desk_with_gauge(tmp_path: Path) -> tuple[Taskdesk, Gauge]:
    desk = memory_desk(home=tmp_path, poll_seconds=0.01)
    gauge = Gauge()

    @desk.task(name="tests.queues:busy")
    def busy(label: str) -> None:
        gauge.enter(label)
        try:
            time.sleep(TASK_SECONDS)
        finally:
            gauge.leave(label)

    return desk, gauge


def pending(desk: Taskdesk) -> int:
    return desk.tasks.count(status=Status.PENDING) + desk.tasks.count(status=Status.PROCESSING)


def test_a_worker_for_queue_a_never_runs_a_task_of_queue_b(tmp_path: Path) -> None:
    desk, gauge = desk_with_gauge(tmp_path)
    for n in range(4):
        desk.tasks.add(f"a{n}", "tests.queues:busy", {"label": f"a{n}"}, queue="a")
        desk.tasks.add(f"b{n}", "tests.queues:busy", {"label": f"b{n}"}, queue="b")

    run_worker_until(desk.runner(queues=["a"]),
                     lambda: desk.tasks.count(status=Status.PENDING, queue="a") == 0
                     and gauge.running == 0, concurrency=3)

    assert sorted(gauge.ran) == ["a0", "a1", "a2", "a3"]
    assert desk.tasks.count(queue="b", status=Status.PENDING) == 4


def test_a_capped_queue_never_runs_more_than_its_cap_at_once(tmp_path: Path) -> None:
    desk, gauge = desk_with_gauge(tmp_path)
    for n in range(8):
        desk.tasks.add(f"a{n}", "tests.queues:busy", {"label": f"a{n}"}, queue="a")

    run_worker_until(desk.runner(queues=["a:2"]), lambda: pending(desk) == 0, concurrency=4)

    assert len(gauge.ran) == 8
    assert gauge.most == 2  # the cap, reached and never passed (four threads would overlap)


def test_a_capped_queue_leaves_the_other_threads_to_the_other_queues(tmp_path: Path) -> None:
    desk, gauge = desk_with_gauge(tmp_path)
    for n in range(4):
        desk.tasks.add(f"a{n}", "tests.queues:busy", {"label": f"a{n}"}, queue="a")
        desk.tasks.add(f"b{n}", "tests.queues:busy", {"label": f"b{n}"}, queue="b")

    run_worker_until(desk.runner(queues=["a:1", "b"]), lambda: pending(desk) == 0,
                     concurrency=3)

    assert sorted(gauge.ran) == sorted([f"a{n}" for n in range(4)] + [f"b{n}" for n in range(4)])
    assert gauge.most_of["a"] == 1


def test_a_runner_registers_its_queues_with_their_caps(tmp_path: Path) -> None:
    """`--queue mail:2 --queue reports`: what `taskdesk queue list` shows of who serves what."""
    desk = Taskdesk(home=tmp_path / "home")
    desk.init()
    try:
        runner = desk.runner(queues=["mail:2", "reports"])
        info = runner._register()
        [listed] = desk.store.runners()
        assert (listed.queues, listed.caps) == (("mail", "reports"), (("mail", 2),))
        assert info.caps == (("mail", 2),)
        served = {q["queue"]: q["served_by"] for q in desk.queues.list()}
        assert [s["cap"] for s in served["mail"]] == [2]
        assert [s["cap"] for s in served["reports"]] == [None]
    finally:
        desk.close()
