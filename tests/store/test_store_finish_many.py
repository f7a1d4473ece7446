"""Store.finish_many: a claim batch's outcomes stored, and the next claim taken, in one
transaction (the runner's hot path) — on every backend, and through the raw statements of the
SQL stores (store/sql/raw.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from taskdesk.clock import utcnow
from taskdesk.models.runners import Finished, NextClaim
from taskdesk.models.tasks import NewTask, Status
from taskdesk.store import SqlStore, Store, open_store
from taskdesk.store.sql.claims import CLAIM, claim_in
from taskdesk.store.sql.migrate import upgrade
from taskdesk.store.sql.raw import RawStatement
from tests.store.test_store import LEASE, RETAIN, add_many, add_one, current, outcome
from tests.support import FakeClock


def test_finish_many_stores_each_outcome_and_logs_each_attempt(store: Store) -> None:
    add_many(store, "a", "b", "c")
    claimed = store.claim("w1", lease_seconds=LEASE, limit=3)

    kept, next_claim = store.finish_many("w1", [
        Finished(claimed[0], outcome(Status.PENDING, response="A")),
        Finished(claimed[1], outcome(Status.FAILED, response="B", comment="broke")),
        Finished(claimed[2], outcome()),
    ], retention_seconds=0)

    assert kept == [True, True, True]
    assert next_claim == []
    assert current(store, claimed[0]).response == "A"
    assert current(store, claimed[0]).status is Status.PENDING
    assert current(store, claimed[1]).status is Status.FAILED
    assert store.get(claimed[2].task_id) is None  # complete, no retention: deleted
    assert {e.task_id for e in store.log()} == {t.task_id for t in claimed}
    assert store.count_log() == 3
    assert {e.comment for e in store.log()} >= {"broke"}


def test_finish_many_then_claims_the_next_tasks_in_order(
    store: Store, clock: FakeClock,
) -> None:
    add_many(store, "first", "second")
    low = add_one(store, "low", priority=-5)
    high = add_one(store, "high", priority=5)
    [top] = store.claim("w1", lease_seconds=LEASE)
    assert top.task_id == high.task_id

    kept, claimed = store.finish_many("w1", [Finished(top, outcome())],
                                      retention_seconds=RETAIN,
                                      then_claim=NextClaim(limit=2, lease_seconds=LEASE))

    assert kept == [True]
    assert [t.code for t in claimed] == ["first", "second"]
    assert all(t.status is Status.PROCESSING and t.worker_id == "w1" for t in claimed)
    assert all(t.lease_expires_at == clock.now + timedelta(seconds=LEASE) for t in claimed)
    assert current(store, top).status is Status.COMPLETE
    assert current(store, low).status is Status.PENDING


def test_finish_many_marks_only_the_lost_claims_as_lost(store: Store, clock: FakeClock) -> None:
    add_many(store, "kept", "lost")
    kept_task, lost_task = store.claim("w1", lease_seconds=LEASE, limit=2)
    clock.advance(LEASE + 1)
    store.recover(lease_seconds=LEASE)  # both expired: recovered
    again = store.claim("w2", lease_seconds=LEASE, limit=2)
    assert {t.task_id for t in again} == {kept_task.task_id, lost_task.task_id}
    mine = next(t for t in again if t.task_id == kept_task.task_id)

    kept, _ = store.finish_many("w2", [Finished(mine, outcome()),
                                       Finished(lost_task, outcome(comment="late"))],
                                retention_seconds=RETAIN)

    assert kept == [True, False]
    assert current(store, mine).status is Status.COMPLETE
    assert current(store, lost_task).status is Status.PROCESSING  # w2 holds it
    late = next(e for e in store.log() if e.comment.startswith("late"))
    assert "(lease lost" in late.comment


def test_finish_many_of_nothing_is_a_claim(store: Store) -> None:
    add_many(store, "only")

    assert store.finish_many("w1", [], retention_seconds=RETAIN) == ([], [])
    kept, claimed = store.finish_many("w1", [], retention_seconds=RETAIN,
                                      then_claim=NextClaim(limit=5, lease_seconds=LEASE,
                                                           queues=["default"]))
    assert kept == []
    assert [t.code for t in claimed] == ["only"]


def test_the_claim_reads_only_its_partial_index_on_sqlite(tmp_path: Path) -> None:
    """SQLite, without statistics, would read every pending task by status and sort them;
    the statement itself names the index (statements.py), whoever compiles it."""
    store = open_store(f"sqlite:///{tmp_path}/plan.db", create=True)
    assert isinstance(store, SqlStore)
    try:
        upgrade(store)
        for queues, index in ((None, "ix_task_claim"), (("a", "b"), "ix_task_queue_claim")):
            statement = CLAIM if queues is None else claim_in(queues)
            compiled = str(statement.compile(dialect=store.engine.dialect))
            assert f"FROM task INDEXED BY {index}" in compiled, compiled
            with store.engine.connect() as conn:
                plan = " / ".join(row[3] for row in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {compiled}", (None,) * compiled.count("?")))
            assert index in plan, plan
            assert "ix_task_status_task_id" not in plan, plan
    finally:
        store.close()


@pytest.mark.postgres
def test_the_claim_seeks_its_partial_index_on_postgres(postgres_url: str) -> None:
    """With its statistics (a few thousand pending tasks, analysed), PostgreSQL reads the
    claim's order from ix_task_claim instead of sorting every pending task."""
    store = open_store(postgres_url)
    assert isinstance(store, SqlStore)
    try:
        added = store.add([NewTask(code=f"plan{n}", action="a:b", max_attempts=3)
                           for n in range(3000)], replace=False)
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE task"))
        claim = RawStatement(CLAIM, store.engine.dialect)
        seek = claim.sql.split(")\n UPDATE")[0].removeprefix("WITH due AS \n(")
        with store.engine.connect() as conn:
            plan = " ".join(conn.exec_driver_sql(
                f"EXPLAIN {seek}", {"now": utcnow(), "limit": 32}).scalars())
        assert "Index Scan using ix_task_claim" in plan, plan
        assert "Sort" not in plan, plan
        store.delete([task.task_id for task in added])
    finally:
        store.close()


def test_landed_tells_what_a_finish_many_stored_and_claimed(store: Store) -> None:
    """After a commit whose outcome the runner never heard (Store.landed): the attempts it
    logged (stored, or lost), and the tasks its claim token holds; nothing of a commit that
    did not happen."""
    add_many(store, "a", "b", "c", "d")
    [a, b] = store.claim("w1", lease_seconds=LEASE, limit=2)
    then = NextClaim(limit=1, lease_seconds=LEASE, token="f" * 32)
    finished = [Finished(a, outcome()), Finished(b, outcome(Status.FAILED, comment="no"))]

    assert store.landed("w1", finished, then) == ([None, None], [])

    store.finish_many("w1", finished[:1], retention_seconds=RETAIN, then_claim=then)
    stored, held = store.landed("w1", finished, then)
    assert stored == [True, None]
    assert [(t.code, t.claim_token, t.attempts) for t in held] == [("c", "f" * 32, 1)]
    assert store.landed("w2", finished, then) == ([None, None], [])
