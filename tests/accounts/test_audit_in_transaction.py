"""Issue 14, item 25: an audited change and its audit row are written in one transaction:
both or neither, on every store; a change by filter writes its row in its last chunk's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.accounts.audit import AuditLog
from taskdesk.app import Taskdesk
from taskdesk.audited import Actor, chunk_audit
from taskdesk.models.tasks import TaskFilter
from taskdesk.testing import memory_desk
from tests.conftest import TEST_ACTIONS

NOOP = "tests.support.handlers:noop"


class AuditDown(Exception):
    """The audit row could not be written."""


@pytest.fixture
def desk(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Taskdesk]:
    home = tmp_path / "home"
    desk = (memory_desk(home=home, allowed_actions=TEST_ACTIONS) if backend == "memory" else
            Taskdesk(database_url=request.getfixturevalue("database_url"), home=home,
                     allowed_actions=TEST_ACTIONS))
    yield desk
    desk.close()


@pytest.fixture
def audit_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AuditDown
    monkeypatch.setattr(AuditLog, "record", refuse)


def test_the_change_and_its_row_commit_together(desk: Taskdesk) -> None:
    with desk.audited("ann", address="10.0.0.7") as change:
        task = change.tasks.add("report", NOOP)
        change.record("tasks.add", f"task {task.task_id}", "report")

    [entry] = desk.audit.entries()
    assert (entry["actor"], entry["target"], entry["address"]) == (
        "ann", f"task {task.task_id}", "10.0.0.7")
    assert desk.tasks.get(task.task_id).code == "report"


def test_a_failed_audit_row_undoes_the_change(desk: Taskdesk, audit_down: None) -> None:
    kept = desk.tasks.add("kept", NOOP)

    def delete_audited() -> None:
        with desk.audited("ann") as change:
            change.tasks.delete([kept.task_id])
            change.record("tasks.delete", f"task {kept.task_id}")

    with pytest.raises(AuditDown):
        delete_audited()

    assert desk.tasks.get(kept.task_id).code == "kept"


def test_a_failed_change_leaves_no_row(desk: Taskdesk) -> None:
    def add_then_fail() -> None:
        with desk.audited("ann") as change:
            change.tasks.add("gone", NOOP)
            change.record("tasks.add", "task ?")
            raise RuntimeError("the request failed after both")

    with pytest.raises(RuntimeError):
        add_then_fail()

    assert desk.audit.entries() == []
    assert desk.tasks.list_tasks(code="gone") == []


def test_a_change_by_filter_writes_its_row_with_the_total(desk: Taskdesk) -> None:
    for n in range(5):
        desk.tasks.add(f"bulk_{n}", NOOP)
    row = chunk_audit(Actor("ann"), "tasks.delete", "tasks matching code=bulk",
                      lambda changed: f"{changed} deleted")

    assert desk.store.delete_matching(TaskFilter(code="bulk"), chunk=2, then=row) == 5

    [entry] = desk.audit.entries()
    assert (entry["action"], entry["detail"]) == ("tasks.delete", "5 deleted")


def test_a_failed_row_undoes_the_last_chunk_of_a_change_by_filter(desk: Taskdesk,
                                                                  audit_down: None) -> None:
    desk.tasks.add("solo", NOOP)
    row = chunk_audit(Actor("ann"), "tasks.delete", "tasks matching code=solo",
                      lambda changed: f"{changed} deleted")

    with pytest.raises(AuditDown):
        desk.tasks.delete_matching(code="solo", then=row)

    assert [task.code for task in desk.tasks.list_tasks(code="solo")] == ["solo"]
