"""The runner when its store or its own code fails: nothing stays stuck, the worker goes on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from taskdesk.config import Settings
from taskdesk.errors import StoreUnavailable
from taskdesk.models import NewTask, Status
from taskdesk.registry import TaskRegistry
from taskdesk.runner.outcomes import FLUSH_SECONDS
from taskdesk.store import MemoryStore
from taskdesk.store.base import Store
from tests.integration.test_runner import make_runner, run_worker_until
from tests.support import FakeClock


class FailingOnce:
    """A MemoryStore whose verb `name` raises `error` on its first call (for which `when`
    holds, given the call's arguments)."""

    def __init__(self, store: MemoryStore, name: str, error: Exception,
                 when: Callable[..., bool] = lambda *args, **kwargs: True) -> None:
        self._store = store
        self._name = name
        self._error: Exception | None = error
        self._when = when

    def __getattr__(self, attribute: str) -> Any:
        verb = getattr(self._store, attribute)
        if attribute != self._name:
            return verb

        def once(*args: Any, **kwargs: Any) -> object:
            if self._error is not None and self._when(*args, **kwargs):
                error, self._error = self._error, None
                raise error
            return verb(*args, **kwargs)

        return once


def noop_tasks(registry: TaskRegistry, count: int) -> None:
    registry.add_many(NewTask(code=f"t{n}", action="tests.handlers:noop") for n in range(count))


def test_a_failed_finish_gives_back_the_rest_of_the_batch_at_once(
        settings: Settings, tmp_path: Path) -> None:
    memory = MemoryStore(clock=FakeClock())
    registry = TaskRegistry(memory, settings)
    slow = FLUSH_SECONDS * 2  # t0's outcome is stored before t1 starts, and that fails
    registry.add("t0", "tests.handlers:sleep_once",
                 {"marker": str(tmp_path / "slept"), "seconds": slow})
    registry.add_many(NewTask(code=f"t{n}", action="tests.handlers:noop") for n in (1, 2))
    store = cast(Store, FailingOnce(memory, "finish_many",
                                    StoreUnavailable("database went away"),
                                    when=lambda worker_id, finished, **_: bool(finished)))
    runner = make_runner(store, settings.evolve(claim_batch=3, poll_seconds=0.01))

    run_worker_until(runner, lambda: registry.count(status=Status.COMPLETE) == 2)

    # t0's outcome was lost with the database: it waits for its lease. t1 and t2 were given
    # back at once and run on the next claim instead of waiting for theirs.
    assert {t.code: t.status for t in registry.list_tasks()} == {
        "t0": Status.PROCESSING, "t1": Status.COMPLETE, "t2": Status.COMPLETE,
    }
    assert [t.attempts for t in registry.list_tasks()] == [1, 1, 1]


def test_a_worker_survives_an_unexpected_error_and_goes_on(settings: Settings) -> None:
    memory = MemoryStore(clock=FakeClock())
    registry = TaskRegistry(memory, settings)
    noop_tasks(registry, 2)
    store = cast(Store, FailingOnce(memory, "claim", RuntimeError("driver bug")))
    runner = make_runner(store, settings.evolve(poll_seconds=0.01))

    run_worker_until(runner, lambda: registry.count(status=Status.COMPLETE) == 2)

    assert registry.count(status=Status.COMPLETE) == 2


#: The clock of the next test; `fail_after` moves it as if the task took that long.
SLOW_CLOCK = FakeClock()


def fail_after(seconds: float) -> None:
    SLOW_CLOCK.advance(seconds)
    raise RuntimeError("gave up")


def test_the_retry_delay_starts_when_the_attempt_ends(settings: Settings) -> None:
    store = MemoryStore(clock=SLOW_CLOCK)
    registry = TaskRegistry(store, settings)
    registry.add("slow", "tests.integration.test_runner_failures:fail_after", {"seconds": 60})
    started = SLOW_CLOCK.now

    make_runner(store, settings).drain()

    [task] = registry.list_tasks()
    assert task.status is Status.PENDING
    assert (task.run_at - started).total_seconds() == 60 + settings.retry_delay_seconds
