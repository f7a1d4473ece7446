"""The runner when its store or its own code fails: nothing stays stuck, the worker goes on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

import pytest

from taskdesk.config import Settings
from taskdesk.errors import StoreUnavailable
from taskdesk.models.tasks import NewTask, Status
from taskdesk.registry import TaskRegistry
from taskdesk.store import MemoryStore, Store
from tests.runner.test_runner import make_runner, run_worker_until
from tests.support import FakeClock


class FailingOnce:
    """A MemoryStore whose verb `name` raises `error` on its first call (for which `when`
    holds, given the call's arguments)."""

    def __init__(self, store: Store, name: str, error: Exception,
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
    registry.add_many(NewTask(code=f"t{n}", action="tests.support.handlers:noop")
                      for n in range(count))


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def locked(detail: str, *, invalidated: bool = False) -> StoreUnavailable:
    """A transient write error as the store raises it; `invalidated`: the driver had also
    thrown away the pooled connection (a restart, pg_terminate_backend)."""
    error = StoreUnavailable(detail)
    cause = Exception(detail)
    cause.connection_invalidated = invalidated  # type: ignore[attr-defined]
    error.__cause__ = cause
    return error


@pytest.mark.parametrize("invalidated", [False, True])
def test_a_transient_write_error_loses_no_outcome(
        store: Store, settings: Settings, invalidated: bool) -> None:
    """SQLite's "database is locked", a failover, a deadlock or a serialization failure: the
    outcome waits, its lease kept, and is stored by a later try. Nothing runs twice."""
    registry = TaskRegistry(store, settings)
    noop_tasks(registry, 3)
    failing = cast(Store, FailingOnce(
        store, "finish_many", locked("database is locked", invalidated=invalidated),
        when=lambda worker_id, finished, **_: bool(finished)))
    runner = make_runner(failing, settings.evolve(poll_seconds=0.01, max_attempts=1))

    run_worker_until(runner, lambda: registry.count(status=Status.COMPLETE) == 3)

    assert [(t.status, t.attempts) for t in registry.list_tasks()] == [
        (Status.COMPLETE, 1)] * 3
    assert [e.comment for e in store.log() if "lease lost" in e.comment] == []
    assert runner.stats.total == 3


class LandsThenFails:
    """A store whose first finish_many that stores outcomes and claims commits, and then
    raises as if the connection had failed during the commit: its outcome unknown."""

    def __init__(self, store: Store, error: StoreUnavailable) -> None:
        self._store = store
        self._error: StoreUnavailable | None = error

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._store, attribute)

    def finish_many(self, worker_id: str, finished: Any, **kwargs: Any) -> Any:
        result = self._store.finish_many(worker_id, finished, **kwargs)
        if self._error is not None and finished and kwargs.get("then_claim"):
            error, self._error = self._error, None
            raise error
        return result


@pytest.mark.parametrize("invalidated", [False, True])
def test_a_retry_after_an_unconfirmed_commit_knows_what_landed(
        store: Store, settings: Settings, invalidated: bool) -> None:
    """The commit landed: its outcome is not stored twice (no "lease lost" row), and the task
    it claimed is run by this worker, not orphaned until its lease expires (with one attempt
    allowed, it would end failed without running)."""
    registry = TaskRegistry(store, settings)
    noop_tasks(registry, 3)
    failing = cast(Store, LandsThenFails(
        store, locked("server closed the connection", invalidated=invalidated)))
    runner = make_runner(failing, settings.evolve(poll_seconds=0.01, max_attempts=1))

    run_worker_until(runner, lambda: registry.count(status=Status.COMPLETE) == 3)

    assert [(t.code, t.status, t.attempts) for t in registry.list_tasks()] == [
        (f"t{n}", Status.COMPLETE, 1) for n in range(3)]
    assert sorted(e.comment for e in store.log()) == ["complete"] * 3


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
    registry.add("slow", "tests.runner.test_runner_failures:fail_after", {"seconds": 60})
    started = SLOW_CLOCK.now

    make_runner(store, settings).drain()

    [task] = registry.list_tasks()
    assert task.status is Status.PENDING
    assert (task.run_at - started).total_seconds() == 60 + settings.retry_delay_seconds


class WritesFailUntil:
    """A full disk until `until` (monotonic): storing an outcome and a heartbeat fail, while
    reads and a claim that finds nothing still answer."""

    def __init__(self, store: Store, until: float) -> None:
        self._store = store
        self.until = until

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._store, attribute)

    def _check(self) -> None:
        if time.monotonic() < self.until:
            raise StoreUnavailable("database or disk is full")

    def finish_many(self, worker_id: str, finished: Any, **kwargs: Any) -> Any:
        if finished:
            self._check()
        return self._store.finish_many(worker_id, finished, **kwargs)

    def heartbeat(self, *args: Any, **kwargs: Any) -> int:
        self._check()
        return self._store.heartbeat(*args, **kwargs)


def test_an_outage_of_writes_ends_only_when_a_write_succeeds(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """During a full disk, a read or an empty claim that succeeds does not end the outage:
    one `store.unavailable` line, then one `store.back` once writes work again."""
    memory = MemoryStore()
    registry = TaskRegistry(memory, settings)
    noop_tasks(registry, 1)
    disk = WritesFailUntil(memory, time.monotonic() + 1.0)
    runner = make_runner(cast(Store, disk), settings.evolve(poll_seconds=0.02,
                                                           lease_seconds=0.3))
    caplog.set_level(logging.INFO, logger="taskdesk")

    run_worker_until(runner, lambda: registry.count(status=Status.COMPLETE) == 1)

    events = [(r.created, r.getMessage().split()[0]) for r in caplog.records
              if r.getMessage().startswith(("store.unavailable", "store.back"))]
    assert [name for _, name in events] == ["store.unavailable", "store.back"]
    assert events[1][0] >= time.time() - (time.monotonic() - disk.until)
