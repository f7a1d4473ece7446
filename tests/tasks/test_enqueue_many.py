"""TaskDefinition.enqueue_many on SQLite and PostgreSQL: one transaction for the batch,
arguments bound to the signature like enqueue (one bad call adds nothing), options applied,
inside the application's transaction too; and run by a runner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from taskdesk import Status, TaskDefinition, Taskdesk
from taskdesk.errors import BadArgs
from tests.support.handlers import record


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Taskdesk]:
    desk = Taskdesk(database_url=database_url, home=tmp_path / "home")
    yield desk
    desk.close()


def test_enqueue_many_adds_one_task_per_call_and_a_runner_runs_them(
        desk: Taskdesk, tmp_path: Path) -> None:
    out = tmp_path / "ran.txt"

    @desk.task(name="many.record")
    def record_it(path: str, n: int, label: str = "x") -> None:
        record(path, n)

    added = record_it.enqueue_many({"path": str(out), "n": n} for n in range(300))

    assert [t.args for t in added] == [{"path": str(out), "n": n} for n in range(300)]
    assert desk.tasks.list_tasks(limit=1000) == added
    assert desk.runner().drain().by_status == {Status.COMPLETE: 300}
    assert sorted(map(int, out.read_text().split())) == list(range(300))


def test_one_bad_call_adds_nothing(desk: Taskdesk) -> None:
    @desk.task(name="many.strict")
    def strict(n: int) -> None: ...

    with pytest.raises(BadArgs, match="call 2"):
        strict.enqueue_many([{"n": 1}, {"n": 2}, {"m": 3}])
    with pytest.raises(BadArgs, match="call 1 must be a mapping"):
        strict.enqueue_many([{"n": 1}, [("n", 2)]])  # type: ignore[list-item]
    assert desk.tasks.count() == 0
    assert strict.enqueue_many([]) == []


def test_options_apply_to_every_task_and_a_code_replaces(desk: Taskdesk) -> None:
    @desk.task(name="many.opts")
    def opts(n: int) -> None: ...

    later = opts.using(priority=7, run_after=timedelta(hours=1), queue_name="emails")
    added = later.enqueue_many([{"n": 1}, {"n": 2}])
    assert {(t.priority, t.queue, t.code) for t in added} == {(7, "emails", "many.opts")}
    assert added[0].run_at == added[1].run_at > added[0].date_added

    [kept] = opts.using(code="one").enqueue_many([{"n": 3}, {"n": 4}])
    [replaced] = opts.using(code="one").enqueue_many([{"n": 5}])
    assert kept.args == {"n": 4}
    assert [t.task_id for t in desk.tasks.list_tasks(code="one", code_exact=True)] == [
        replaced.task_id]


class Rollback(Exception):
    """The application's own failure after it enqueued."""


def _enqueue_then_fail(definition: TaskDefinition[..., Any], engine: Engine) -> None:
    with engine.begin() as conn:
        definition.using(connection=conn).enqueue_many([{"n": 1}, {"n": 2}])
        raise Rollback


def test_inside_the_applications_transaction(desk: Taskdesk, database_url: str) -> None:
    @desk.task(name="many.tx")
    def in_tx(n: int) -> None: ...

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with pytest.raises(Rollback):
            _enqueue_then_fail(in_tx, engine)
        assert desk.tasks.count() == 0
        with engine.begin() as conn:
            added = in_tx.using(connection=conn).enqueue_many([{"n": 3}, {"n": 4}])
        assert desk.tasks.list_tasks() == added
    finally:
        engine.dispose()
