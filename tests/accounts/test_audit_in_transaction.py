"""Issue 14, item 25: an audited change and its audit row are written in one transaction:
both or neither, on every store; a change by filter writes its row in its last chunk's. The
admin's services write the row of their own change (issue 15): TaskChanges here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskdesk.accounts.audit import AuditLog, chunk_audit
from taskdesk.admin import Actor, Admin
from taskdesk.app import Taskdesk
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
    task = Admin(desk).task_changes.add(Actor("ann", "10.0.0.7"), "report", NOOP)

    [entry] = Admin(desk).audit.entries()
    assert (entry["actor"], entry["action"], entry["target"], entry["address"]) == (
        "ann", "tasks.add", f"task {task.task_id}", "10.0.0.7")
    assert desk.tasks.get(task.task_id).code == "report"


def test_a_failed_audit_row_undoes_the_change(desk: Taskdesk, audit_down: None) -> None:
    kept = desk.tasks.add("kept", NOOP)

    def delete_audited() -> None:
        Admin(desk).task_changes.delete(Actor("ann"), [kept.task_id])

    with pytest.raises(AuditDown):
        delete_audited()

    assert desk.tasks.get(kept.task_id).code == "kept"


def test_a_failed_change_leaves_no_row(desk: Taskdesk,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    record = AuditLog.record

    def record_then_fail(self: AuditLog, **entry: str) -> None:
        record(self, **entry)
        raise RuntimeError("the request failed after both")
    monkeypatch.setattr(AuditLog, "record", record_then_fail)

    with pytest.raises(RuntimeError):
        Admin(desk).task_changes.add(Actor("ann"), "gone", NOOP)
    monkeypatch.undo()

    assert Admin(desk).audit.entries() == []
    assert desk.tasks.list_tasks(code="gone") == []


def test_a_change_by_filter_writes_its_row_with_the_total(desk: Taskdesk) -> None:
    for n in range(5):
        desk.tasks.add(f"bulk_{n}", NOOP)
    row = chunk_audit(Actor("ann"), "tasks.delete", "tasks matching code=bulk",
                      lambda changed: f"{changed} deleted")

    assert desk.store.delete_matching(TaskFilter(code="bulk"), chunk=2, then=row) == 5

    [entry] = Admin(desk).audit.entries()
    assert (entry["action"], entry["detail"]) == ("tasks.delete", "5 deleted")


def test_a_failed_row_undoes_the_last_chunk_of_a_change_by_filter(desk: Taskdesk,
                                                                  audit_down: None) -> None:
    desk.tasks.add("solo", NOOP)

    with pytest.raises(AuditDown):
        Admin(desk).task_changes.delete_matching(Actor("ann"), code="solo")

    assert [task.code for task in desk.tasks.list_tasks(code="solo")] == ["solo"]
