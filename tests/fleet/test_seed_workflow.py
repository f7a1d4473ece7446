"""Issue 16, item 4, the seed's workflow across hosts: the seed's test_module uploaded and
installed through host 1's admin API (tests/fleet/admin.py), while workers run only on hosts 2
and 3, which have never seen the package's files. my_task must run there, once, and complete;
the line its runner wrote with `self.log.write(...)` must be read through host 1's
/api/error-log, naming the host that wrote it and the task. This needs extensions stored in the
database and unpacked per host (item 1) and one error log for the installation, a database
table whose lines the API gives as JSON with their host and task id (item 2)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.acceptance.test_seed_workflow import MESSAGE, seed_package
from tests.fleet.admin import Admin, serve
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary

DEADLINE_SECONDS = 30.0
WORKER_HOSTS = ("host2", "host3")


def test_the_seed_workflow_uploaded_on_one_host_runs_on_the_others_and_logs_to_the_first(
        fleet: Fleet, tmp_path: Path) -> None:
    workers = [fleet.start(host) for host in WORKER_HOSTS]
    fleet.wait_registered(workers)
    with serve(fleet, "host1") as admin:
        started = time.monotonic()
        admin.call("POST", "/api/extensions/upload", upload=seed_package(tmp_path), expect=201)
        admin.call("POST", "/api/extensions/test_module/install")
        status, attempts, comments = wait_finished(fleet, "my_task")
        ran_on = hosts_of(fleet, "my_task")
        task_id = task_id_of(fleet, "my_task")  # before the extension's removal deletes it
        assert (status, attempts) == ("complete", 1), (
            f"my_task {status} after {attempts} attempt(s) on {ran_on}: {comments}")
        line = wait_logged(admin, MESSAGE)
        admin.remove_extensions()
    assert fleet.stop_workers() == [0, 0], fleet.logs()

    summary = Summary(scenario="seed workflow", tasks=1, hosts=3, lost=0,
                      extra=f"ran_on={','.join(ran_on)} logged_by={line.get('host')}",
                      seconds=time.monotonic() - started)
    print(f"\n{summary.line()}")
    assert len(ran_on) == 1, f"one attempt, one host: {ran_on}"
    assert ran_on[0] in WORKER_HOSTS, ran_on
    assert line.get("host") == ran_on[0], f"the line names its host: {line}"
    assert str(line.get("task_id")) == str(task_id), line


def wait_finished(fleet: Fleet, code: str) -> tuple[str, int, list[str]]:
    """Until the task is complete or failed for good: its status, attempts, log comments."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        with fleet.db.engine.connect() as conn:
            row = conn.execute(text("SELECT task_id, status, attempts, max_attempts FROM task "
                                    "WHERE code = :code"), {"code": code}).one()
            comments = list(conn.execute(text(
                "SELECT comment FROM task_log WHERE task_id = :t ORDER BY task_log_id"),
                {"t": row.task_id}).scalars())
        if row.status == "complete" or (row.status == "failed"
                                        and row.attempts >= row.max_attempts):
            return row.status, row.attempts, comments
        fleet.check_alive()
        if time.monotonic() > deadline:
            return row.status, row.attempts, comments
        time.sleep(0.05)


def task_id_of(fleet: Fleet, code: str) -> int:
    with fleet.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT task_id FROM task WHERE code = :code"),
                                {"code": code}).scalar_one())


def hosts_of(fleet: Fleet, code: str) -> list[str]:
    """The hosts whose runners ran the task's attempts (from the workers' ids in its log)."""
    with fleet.db.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT DISTINCT split_part(l.worker_id, ':', 1) FROM task_log l "
            "JOIN task t ON t.task_id = l.task_id WHERE t.code = :code "
            "AND l.worker_id IS NOT NULL AND l.worker_id <> ''"), {"code": code}).scalars())


def wait_logged(admin: Admin, message: str, seconds: float = 15.0) -> dict[str, Any]:
    """The error log's line holding `message`, read through the admin's API, as the JSON
    object the API gives for it (with its host, task id, …); a line given as bare text (no
    host) or no line at all fails, with what the API answered."""
    deadline = time.monotonic() + seconds
    while True:
        answer = admin.call("GET", "/api/error-log")
        objects = [found for found in walk(answer) if isinstance(found, dict)
                   and any(message in value for value in found.values()
                           if isinstance(value, str))]
        if objects:
            return objects[-1]
        assert time.monotonic() < deadline, (
            f"no line object holding {message!r} in /api/error-log on {admin.host}: "
            f"{str(answer)[-2000:]}")
        time.sleep(0.2)


def walk(value: Any) -> list[Any]:
    """Every value in a JSON document, depth first."""
    found = [value]
    children = value.values() if isinstance(value, dict) else value \
        if isinstance(value, list) else []
    for child in children:
        found += walk(child)
    return found
