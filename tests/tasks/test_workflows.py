"""Workflows from the front door, on every backend, run by an in-process runner: a diamond
(a → b, c → d) where d reads b's and c's results; a failed parent cancelling its dependents
transitively while a run_on_failure task still runs; a workflow enqueued in the caller's
transaction (gone with a rollback); and bad input — a cycle, a node of another workflow, a
node added after enqueue, arguments that do not bind, no name, no task — refused with one
clear error, adding nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

import taskdesk
from taskdesk import Status, Taskdesk
from taskdesk.errors import BadArgs, BadInput, BadWorkflow
from taskdesk.workflows import Workflow
from tests.support.desks import desk_on


class Rollback(Exception):
    """The application's own failure after it enqueued."""


@pytest.fixture
def desk(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Taskdesk]:
    with desk_on(backend, tmp_path / "home", request) as made:
        yield made


def define(desk: Taskdesk, seen: list[Any]) -> dict[str, Any]:
    @desk.task(name="wf.number")
    def number(n: int) -> int:
        return n

    @desk.task(name="wf.total")
    def total() -> int:
        parents = taskdesk.parent_results()
        seen.append(parents)
        return sum(json.loads(text) for text in parents.values() if text is not None)

    @desk.task(name="wf.fail", max_attempts=1)
    def fail() -> None:
        raise RuntimeError("the parent fails")

    @desk.task(name="wf.cleanup")
    def cleanup() -> str:
        seen.append(("cleanup", taskdesk.parent_results()))
        return "cleaned"

    return {"number": number, "total": total, "fail": fail, "cleanup": cleanup}


def test_a_diamond_runs_d_after_b_and_c_and_d_reads_their_results(desk: Taskdesk) -> None:
    seen: list[Any] = []
    tasks = define(desk, seen)
    wf = desk.workflow("diamond")
    a = wf.add(tasks["number"], 1)
    b = wf.add(tasks["number"], 2, after=[a])
    c = wf.add(tasks["number"], n=3, after=[a])
    d = wf.add(tasks["total"], after=[b, c])
    added = wf.enqueue()
    assert [t.task_id for t in added] == [a.task_id, b.task_id, c.task_id, d.task_id]

    stats = desk.runner().drain()

    assert stats.by_status == {Status.COMPLETE: 4}
    assert seen == [{b.task_id: "2", c.task_id: "3"}]
    assert taskdesk.parent_results() == {}  # outside a runner
    [info] = desk.workflows.list()
    assert (info["name"], info["counts"], info["total"]) == ("diamond", {"complete": 4}, 4)
    shown = desk.workflows.get(info["workflow_id"])
    assert shown["tasks"][3]["parents"] == [b.task_id, c.task_id]
    assert desk.workflows.of_task(d.task_id or 0) == {
        "workflow_id": info["workflow_id"], "name": "diamond", "parents": [b.task_id, c.task_id],
        "run_on_failure": False, "waiting_for_parents": False}


def test_a_failed_parent_cancels_its_dependents_and_cleanup_still_runs(desk: Taskdesk) -> None:
    seen: list[Any] = []
    tasks = define(desk, seen)
    wf = desk.workflow("fails")
    a = wf.add(tasks["fail"])
    b = wf.add(tasks["number"], 2, after=[a])
    c = wf.add(tasks["total"], after=[b])
    cleanup = wf.add(tasks["cleanup"], after=[c], run_on_failure=True)
    wf.enqueue()

    stats = desk.runner().drain()

    assert stats.by_status == {Status.FAILED: 1, Status.COMPLETE: 1}
    status = {n: desk.tasks.get(n.task_id).status for n in (a, b, c, cleanup)}  # type: ignore[arg-type]
    assert status == {a: Status.FAILED, b: Status.CANCELLED, c: Status.CANCELLED,
                      cleanup: Status.COMPLETE}
    assert seen == [("cleanup", {c.task_id: None})]


def test_cancelling_a_parent_cancels_its_dependents_and_cleanup_still_runs(
        desk: Taskdesk) -> None:
    seen: list[Any] = []
    tasks = define(desk, seen)
    wf = desk.workflow("cancelled")
    a = wf.add(tasks["number"], 1)
    b = wf.add(tasks["number"], 2, after=[a])
    c = wf.add(tasks["total"], after=[b])
    cleanup = wf.add(tasks["cleanup"], after=[c], run_on_failure=True)
    wf.enqueue()

    cancelled = desk.tasks.cancel([a.task_id or 0])
    stats = desk.runner().drain()

    assert sorted(cancelled) == sorted(n.task_id or 0 for n in (a, b, c))
    status = {n: desk.tasks.get(n.task_id).status for n in (a, b, c, cleanup)}  # type: ignore[arg-type]
    assert status == {a: Status.CANCELLED, b: Status.CANCELLED, c: Status.CANCELLED,
                      cleanup: Status.COMPLETE}
    assert stats.by_status == {Status.COMPLETE: 1}
    assert seen == [("cleanup", {c.task_id: None})]


def test_bad_input_is_refused_and_adds_nothing(desk: Taskdesk) -> None:
    tasks = define(desk, [])
    with pytest.raises(BadWorkflow, match="needs a name"):
        desk.workflow("  ")
    wf, other = desk.workflow("one"), desk.workflow("two")
    elsewhere = other.add(tasks["number"], 1)
    with pytest.raises(BadWorkflow, match="is not a task of workflow 'one'"):
        wf.add(tasks["number"], 1, after=[elsewhere])
    with pytest.raises(BadArgs, match=r"wf\.number"):
        wf.add(tasks["number"], "x", "y")
    with pytest.raises(BadWorkflow, match="not a task"):
        wf.add(print)  # type: ignore[arg-type]
    with pytest.raises(BadWorkflow, match="at least one task"):
        wf.enqueue()
    first = wf.add(tasks["number"], 1)
    second = wf.add(tasks["number"], 2, after=[first])
    first.after(second)
    with pytest.raises(BadWorkflow, match=r"cycle among: wf\.number, wf\.number"):
        wf.enqueue()
    assert desk.tasks.count() == 0
    assert desk.workflows.list() == []

    fine = desk.workflow("fine")
    fine.add(tasks["number"], 1)
    fine.enqueue()
    with pytest.raises(BadWorkflow, match="enqueued already"):
        fine.add(tasks["number"], 2)
    with pytest.raises(BadWorkflow, match="enqueued already"):
        fine.enqueue()
    assert desk.tasks.count() == 1


def _enqueue_then_fail(wf: Workflow, engine: Engine) -> None:
    with engine.begin() as conn:
        wf.enqueue(connection=conn)
        raise Rollback


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_workflow_enqueued_in_the_callers_transaction(desk: Taskdesk,
                                                        database_url: str) -> None:
    tasks = define(desk, [])
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        wf = desk.workflow("rolled back")
        wf.add(tasks["total"], after=[wf.add(tasks["number"], 1)])
        with pytest.raises(Rollback):
            _enqueue_then_fail(wf, engine)
        assert desk.tasks.count() == 0
        assert desk.workflows.list() == []
        with engine.begin() as conn:
            wf = desk.workflow("committed")
            d = wf.add(tasks["total"], after=[wf.add(tasks["number"], 4)])
            wf.enqueue(connection=conn)
        assert desk.runner().drain().by_status == {Status.COMPLETE: 2}
        assert desk.tasks.get(d.task_id).response == "4"  # type: ignore[arg-type]
    finally:
        engine.dispose()
    other = desk.workflow("x")
    other.add(tasks["number"], 1)
    with pytest.raises(BadInput, match="SQLAlchemy Connection or Session"):
        other.enqueue(connection=object())
