"""taskdesk.views: the JSON shapes the CLI's --json and the API return, built once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from taskdesk.models.tasks import LogEntry, Status, Task
from taskdesk.views import log_entry_view, task_view

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_task() -> Task:
    return Task(
        task_id=5, code="backup", action="task/admin/backup.backup", args={"page": 2},
        status=Status.PROCESSING, response=None, priority=1, attempts=1, max_attempts=3,
        run_at=T0, worker_id="host:1:abc", lease_expires_at=T0 + timedelta(seconds=30),
        date_added=T0 - timedelta(minutes=1),
        date_modified=datetime(2026, 1, 1, 13, 0, 0, 250_000,
                               tzinfo=timezone(timedelta(hours=1))),
        progress=42, progress_message="page 2 of 5",
    )


def test_task_view_has_opencart_names_and_iso_times() -> None:
    data = task_view(make_task())

    assert data == {
        "task_id": 5,
        "code": "backup",
        "action": "task/admin/backup.backup",
        "args": {"page": 2},
        "status": "processing",
        "response": None,
        "priority": 1,
        "attempts": 1,
        "max_attempts": 3,
        "run_at": "2026-01-01T12:00:00Z",
        "worker_id": "host:1:abc",
        "lease_expires_at": "2026-01-01T12:00:30Z",
        "date_added": "2026-01-01T11:59:00Z",
        "date_modified": "2026-01-01T12:00:00.250000Z",
        "extension": None,
        "progress": 42,
        "progress_message": "page 2 of 5",
        "queue": "default",
        "error_class": None,
        "limit_key": None, "concurrency_limit": None, "rate_limit": None,
    }
    assert json.loads(json.dumps(data)) == data


def test_task_view_without_a_lease() -> None:
    task = make_task()
    idle = Task(**{**task.__dict__, "status": Status.PENDING, "worker_id": None,
                   "lease_expires_at": None})

    data = task_view(idle)

    assert data["status"] == "pending"
    assert data["worker_id"] is None
    assert data["lease_expires_at"] is None


def test_log_entry_view() -> None:
    entry = LogEntry(task_log_id=9, task_id=5, code="backup", status=Status.FAILED,
                     comment="boom", duration=0.5, attempt=3, worker_id=None, date_added=T0)

    assert log_entry_view(entry) == {
        "task_log_id": 9, "task_id": 5, "code": "backup", "status": "failed",
        "comment": "boom", "duration": 0.5, "attempt": 3, "worker_id": None,
        "date_added": "2026-01-01T12:00:00Z",
    }
