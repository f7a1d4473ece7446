"""Issue 7, item 21: retention that holds at scale. The task log has its own retention; pruning
goes in chunks, on a housekeeping thread of its own, so that a long prune never delays a
heartbeat; retry verbs give tasks a fresh attempt budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from taskdesk.config import Settings
from taskdesk.errors import BadInput, BadStatus
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.models.tasks import NewTask, Outcome, Status
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner
from taskdesk.store import MemoryStore
from tests.support import FakeClock

pytestmark = pytest.mark.hostile

WAIT_SECONDS = 10.0  # an upper bound for things that take milliseconds


class SlowPruneStore(MemoryStore):
    """A store whose second prune (the housekeeping timer's, not the runner's start-up one)
    blocks until released, as a prune of 300,000 rows holds on; it counts heartbeats."""

    def __init__(self) -> None:
        super().__init__()
        self.beats = 0
        self.prunes = 0
        self.pruning = threading.Event()
        self.release_prune = threading.Event()

    def heartbeat(self, *args: Any, **kwargs: Any) -> int:
        self.beats += 1
        return super().heartbeat(*args, **kwargs)

    def prune(self, **kwargs: Any) -> int:
        self.prunes += 1
        if self.prunes > 1:
            self.pruning.set()
            self.release_prune.wait(WAIT_SECONDS)
        return super().prune(**kwargs)


def wait_until(condition: Any) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(condition())


def test_a_long_prune_never_delays_a_heartbeat(tmp_path: Path) -> None:
    store = SlowPruneStore()
    settings = Settings(home=tmp_path, lease_seconds=0.3, poll_seconds=0.05)
    runner = Runner(store, settings, resolver=Resolver(ControllerLoader(lambda code: None)))
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, args=(stop,))
    worker.start()
    try:
        assert store.pruning.wait(WAIT_SECONDS), "the housekeeping timer never pruned"
        beats = store.beats
        assert wait_until(lambda: store.beats >= beats + 3), "no heartbeat during the prune"
        assert not store.release_prune.is_set()
    finally:
        store.release_prune.set()
        stop.set()
        worker.join(WAIT_SECONDS)
    assert not worker.is_alive()


class ChunkSpy(MemoryStore):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.chunks: list[tuple[str, int]] = []

    def prune(self, *, retention_seconds: float, limit: int = 1000) -> int:
        self.chunks.append(("tasks", limit))
        return super().prune(retention_seconds=retention_seconds, limit=limit)

    def prune_log(self, *, retention_seconds: float, limit: int = 1000) -> int:
        self.chunks.append(("log", limit))
        return super().prune_log(retention_seconds=retention_seconds, limit=limit)


def finish_all(store: MemoryStore, codes: Sequence[str]) -> None:
    store.add([NewTask(code=code, action="pkg.mod:fn", max_attempts=3) for code in codes])
    for claimed in store.claim("w1", lease_seconds=30, limit=len(codes)):
        store.finish(claimed, "w1", Outcome(status=Status.COMPLETE, response=None,
                                            comment="done", duration=0.1),
                     retention_seconds=3600)


def test_housekeeping_prunes_tasks_and_the_log_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from taskdesk.runner import housekeeper

    monkeypatch.setattr(housekeeper, "PRUNE_CHUNK", 2)
    clock = FakeClock()
    store = ChunkSpy(clock)
    finish_all(store, [f"t{n}" for n in range(5)])
    clock.advance(3601)
    settings = Settings(home=tmp_path, retention_seconds=3600, log_retention_seconds=3600)

    assert housekeeper.Housekeeper(store, settings).prune() == 10

    assert store.chunks == [("tasks", 2)] * 3 + [("log", 2)] * 3
    assert store.count_log() == 0


def test_the_task_log_has_its_own_retention_setting() -> None:
    assert Settings().log_retention_seconds == 30 * 86_400
    env = {"TASKDESK_LOG_RETENTION_SECONDS": "7200"}
    assert Settings.from_env(env).log_retention_seconds == 7200


def test_registry_retry_verbs_give_a_fresh_attempt_budget(tmp_path: Path) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    registry = TaskRegistry(store, Settings(home=tmp_path))
    task = registry.add("import.a", "pkg.mod:fn", max_attempts=1)
    [claimed] = store.claim("w1", lease_seconds=30)
    store.finish(claimed, "w1", Outcome(status=Status.FAILED, response="boom", comment="x",
                                        duration=0.1), retention_seconds=3600)

    assert registry.retry([task.task_id]) == 1
    assert (registry.get(task.task_id).status, registry.get(task.task_id).attempts) == (
        Status.PENDING, 0)
    registry.set_status("failed", [task.task_id])
    assert registry.retry_matching(code="import", status="failed") == 1
    with pytest.raises(BadInput, match="code or a status"):
        registry.retry_matching()
    with pytest.raises(BadStatus, match="running"):
        registry.retry_matching(status="processing")
    with pytest.raises(BadInput, match="task id"):
        registry.retry([-1])
