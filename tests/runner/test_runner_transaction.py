"""A runner's transaction (Store.finish_many with a claim) stores its outcomes and takes its
claim together or not at all, on the paths that skip SQLAlchemy's Connection (SQLite's
driver transaction, PostgreSQL's one statement)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from taskdesk.errors import StoreError
from taskdesk.models.runners import Finished, NextClaim
from taskdesk.models.tasks import NewTask, Outcome, Status
from taskdesk.store import SqlStore
from tests.support import FakeClock

LEASE = 30.0


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


class ClaimRefused(Exception):
    """The claim's statement could not be written: the transaction must roll back."""


def test_a_claim_that_fails_leaves_the_outcome_unstored_and_the_task_held(
    store: SqlStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.add([NewTask(code=c, action="tests.support.handlers:record", args={}, max_attempts=3)
               for c in ("a", "b", "c")])
    store.claim("w1", lease_seconds=LEASE)  # probes for delayed tasks: the next claim won't
    [running] = store.claim("w1", lease_seconds=LEASE)
    done = Finished(running, Outcome(status=Status.COMPLETE, response="ok", comment="ok",
                                     duration=0.0))
    claim_of = store._claim_of

    def refused(worker_id: str, order: NextClaim, now: datetime) -> tuple[Any, Any]:
        claim_of(worker_id, order, now)
        raise ClaimRefused

    monkeypatch.setattr(store, "_claim_of", refused)
    with pytest.raises((ClaimRefused, StoreError)):
        store.finish_many("w1", [done], retention_seconds=60,
                          then_claim=NextClaim(1, LEASE, None))
    monkeypatch.undo()

    held = store.get(running.task_id)
    assert held is not None
    assert held.status is Status.PROCESSING
    assert store.count_log(task_id=running.task_id) == 0
    kept, [claimed] = store.finish_many("w1", [done], retention_seconds=60,
                                        then_claim=NextClaim(1, LEASE, None))
    assert kept == [True]
    assert claimed.code == "c"
    assert claimed.task_id != running.task_id
