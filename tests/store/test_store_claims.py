"""Issue 7, item 19: tasks waiting for a later run_at do not slow claims. Counted in SQLite
virtual-machine steps, not seconds (bench/claims.py measures the time): a claim over 5,000
delayed tasks takes about the steps of a claim over none; it used to walk every one of them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from taskdesk.models.tasks import NewTask
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql.migrate import upgrade
from tests.support import FakeClock

pytestmark = pytest.mark.hostile

DELAYED = 5_000


class StepCounter:
    """Counts the SQLite VM instructions the store's connections run."""

    def __init__(self, store: SqlStore) -> None:
        self.steps = 0
        event.listen(store.engine, "connect", self._watch)

    def _watch(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_progress_handler(self._step, 1)

    def _step(self) -> int:
        self.steps += 1
        return 0


def claim_steps(store: SqlStore, counter: StepCounter, code: str) -> int:
    """Steps of the claim that takes one due task, added after every delayed one."""
    [due] = store.add([NewTask(code=code, action="pkg.mod:fn", max_attempts=3)])
    counter.steps = 0
    [claimed] = store.claim("w1", lease_seconds=30)
    assert claimed.task_id == due.task_id
    return counter.steps


def test_a_claim_does_not_walk_the_tasks_that_wait_for_their_run_at(tmp_path: Path) -> None:
    clock = FakeClock()
    store = open_store(f"sqlite:///{tmp_path / 'claims.db'}", clock=clock, create=True)
    counter = StepCounter(store)
    upgrade(store)
    claim_steps(store, counter, "warm-up")  # statement caches, first connection
    without = claim_steps(store, counter, "first")

    later = clock.now + timedelta(days=1)
    store.add([NewTask(code=f"later.{n}", action="pkg.mod:fn", run_at=later, max_attempts=3)
               for n in range(DELAYED)], replace=False)
    with_delayed = claim_steps(store, counter, "second")
    store.close()

    assert with_delayed < without * 1.5 + 100, (without, with_delayed)
