"""Issue 16, must-show (bad input): a stored package whose bytes were changed by hand in the
database, so that they no longer match their sha256, is refused by every host that has to
unpack it, each with one error line, and nothing of it runs. The seed's package is uploaded
through host 1's admin API, its bytes replaced in the database, then installed; hosts 2 and 3,
which never had its files, each drain the tasks with `taskdesk start` in turn."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

from sqlalchemy import text

from taskdesk.models.tasks import NewTask
from tests.extensions.test_packages_hosts import ACTION, CODE, seed_bytes, seed_zip
from tests.fleet.admin import serve
from tests.fleet.harness import REPO, Fleet
from tests.fleet.summary import Summary

WORKER_HOSTS = ("host2", "host3")
TASKS_PER_HOST = 3


def test_bytes_changed_by_hand_are_refused_by_every_host_and_nothing_runs(
        fleet: Fleet, tmp_path: Path) -> None:
    imported = tmp_path / "imported"  # the filesystem is shared by every namespace
    at_import = f"open({str(imported)!r}, 'w').write('x')"
    started = time.monotonic()
    with serve(fleet, "host1") as admin:
        admin.call("POST", "/api/extensions/upload", expect=201,
                   upload=seed_zip(tmp_path / "upload", message="genuine", at_import=at_import))
        evil = seed_bytes(message="evil", at_import=at_import)
        sha = change_bytes(fleet, evil)
        admin.call("POST", "/api/extensions/test_module/install")  # adds my_task
        lines = {}
        for host in WORKER_HOSTS:
            add_route_tasks(fleet, host)
            lines[host] = start_refusing(fleet, host)
        outcomes = task_outcomes(fleet)
        messages = [line["message"] for line in admin.call("GET", "/api/error-log")["lines"]]
        admin.remove_extensions()

    ran = sum(message in ("genuine", "evil") for message in messages) + imported.exists()
    summary = Summary(scenario="tampered package", tasks=len(outcomes), hosts=3, lost=0,
                      extra=f"refused_by={','.join(sorted(lines))} ran={ran}",
                      seconds=time.monotonic() - started)
    print(f"\n{summary.line()}")
    evil_sha = hashlib.sha256(evil).hexdigest()
    for host, line in lines.items():
        assert "extensions.package_refused" in line, (host, line)
        assert f"extension {CODE!r}: its stored package does not match its hash" in line
        assert sha in line, line
        assert evil_sha in line, line
    assert len(outcomes) == 1 + TASKS_PER_HOST * len(WORKER_HOSTS)
    for status, response in outcomes:
        assert status == "failed", outcomes
        assert len(response.splitlines()) == 1, response
        assert "does not match its hash" in response
    assert ran == 0, f"nothing of the tampered package may run or be imported: {messages}"
    for host in WORKER_HOSTS:
        assert not (fleet.root / host / "extensions" / CODE).exists()


def change_bytes(fleet: Fleet, data: bytes) -> str:
    """Replace the stored package's bytes, keeping its hash; the hash kept."""
    with fleet.db.engine.begin() as conn:
        return str(conn.execute(text("UPDATE package SET data = :data WHERE code = :code "
                                     "RETURNING sha256"), {"data": data, "code": CODE})
                   .scalar_one())


def add_route_tasks(fleet: Fleet, host: str) -> None:
    desk = fleet.desk()
    try:
        desk.tasks.add_many(NewTask(code=f"tampered-{host}-{n}", action=ACTION, args={},
                                    max_attempts=1) for n in range(TASKS_PER_HOST))
    finally:
        desk.close()


def start_refusing(fleet: Fleet, host: str) -> str:
    """`taskdesk start` on that host drains every due task and exits 0; its one stderr line."""
    done = subprocess.run(fleet.command(host, "start"), cwd=REPO, env=fleet.env(host),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    [line] = done.stderr.strip().splitlines()
    return line


def task_outcomes(fleet: Fleet) -> list[tuple[str, str]]:
    with fleet.db.engine.connect() as conn:
        return [(row.status, row.response or "") for row in conn.execute(text(
            "SELECT status, response FROM task WHERE action = :action ORDER BY task_id"),
            {"action": ACTION})]
