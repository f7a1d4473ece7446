"""Issue 14, item 25 through the API: when the audit row cannot be written, the change it
records does not happen either (they share one transaction); a change that happened has its
row, by id or by filter."""

from __future__ import annotations

import pytest

from taskdesk.accounts.audit import AuditLog
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from tests.web.conftest import Browser

NOOP = "tests.support.handlers:noop"


class AuditDown(Exception):
    """The audit row could not be written."""


@pytest.fixture
def audit_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AuditDown
    monkeypatch.setattr(AuditLog, "record", refuse)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("DELETE", "/api/tasks/{id}", None),
    ("POST", "/api/tasks/delete", {"task_ids": ["{id}"]}),
    ("POST", "/api/tasks/delete", {"filter": {"code": "kept"}}),
    ("POST", "/api/tasks/status", {"task_ids": ["{id}"], "status": "paused"}),
    ("POST", "/api/tasks/delete-code", {"code": "kept"}),
    ("POST", "/api/tasks/clear", None),
    ("POST", "/api/tasks/{id}/cancel", None),
    ("POST", "/api/tasks/cancel", {"task_ids": ["{id}"]}),
    ("POST", "/api/tasks/cancel", {"filter": {"code": "kept"}}),
    ("POST", "/api/tasks/status", {"task_ids": ["{id}"], "status": "cancelled"}),
])
def test_no_audit_row_no_change(admin: Browser, desk: Taskdesk, audit_down: None,
                                method: str, path: str, body: dict[str, object] | None) -> None:
    task = desk.tasks.add("kept", NOOP)
    if body and "task_ids" in body:
        body = {**body, "task_ids": [task.task_id]}

    answer = admin.act(method, path.format(id=task.task_id), json=body)

    assert answer.status_code == 500  # the error no handler knows, answered inside the headers

    assert desk.tasks.get(task.task_id).status.value == "pending"


def test_no_audit_row_no_user(admin: Browser, desk: Taskdesk, audit_down: None) -> None:
    answer = admin.act("POST", "/api/users", json={"name": "bob", "password": "long enough pw 1"})

    assert answer.status_code == 500

    assert "bob" not in [user["name"] for user in Admin(desk).accounts.users()]


def test_a_change_by_filter_is_audited_with_its_total(admin: Browser, desk: Taskdesk) -> None:
    for n in range(3):
        desk.tasks.add(f"many_{n}", NOOP)

    answer = admin.act("POST", "/api/tasks/retry", json={"filter": {"code": "many"}})

    assert answer.json()["changed"] == 3
    entry = Admin(desk).audit.entries()[0]
    assert (entry["action"], entry["target"], entry["detail"]) == (
        "tasks.retry", "tasks matching code=many", "3 retried")


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/users/operator/tokens", {"label": "deploy"}),
    ("POST", "/api/users/operator/role", {"role": "viewer"}),
])
def test_no_audit_row_no_account_change(admin: Browser, desk: Taskdesk, audit_down: None,
                                        method: str, path: str,
                                        body: dict[str, object]) -> None:
    accounts = Admin(desk).accounts
    before = (accounts.users(), accounts.tokens())

    answer = admin.act(method, path, json=body)

    assert answer.status_code == 500  # the service writes its entry in the change's transaction
    assert (accounts.users(), accounts.tokens()) == before
