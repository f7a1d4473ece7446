"""Issue 16, item 4: an upgrade on host 1 while hosts 2 and 3 run the extension. Version 1.0.0
of an extension whose task records, as it starts, its own version, host and the database's
clock is uploaded and installed through host 1's admin API; hosts 2 and 3 run a stream of its
tasks; host 1 upgrades it to 1.1.0 mid-stream through the same API (the Installer's Upgrade).
No task that started after the upgrade had committed (the database's clock read once the call
returned: no earlier than the commit) may
have run 1.0.0 — one in flight then may finish on it; every task completes once, lost = 0.
This needs extensions stored in the database and unpacked per host (issue 16, item 1)."""

from __future__ import annotations

import json
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from taskdesk.models.tasks import NewTask
from tests.fleet.admin import serve
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary

CODE = "versioned"
ACTION = f"task/catalog/{CODE}.task"
PAUSE_SECONDS = 0.1
BATCH, GAP_SECONDS = 3, 0.1  # the stream: 30 tasks a second, for four threads that run 40
UPGRADE_AFTER = 40  # completions before host 1 upgrades
AFTER_SECONDS = 2.0  # the stream goes on this long after the upgrade committed
DEADLINE_SECONDS = 90.0
RUNS = "fleet_version_run"
TASK = '''
import os
import socket
import time

import psycopg

from taskdesk import Controller

VERSION = "{version}"


class Task(Controller):
    def index(self, pause: float = 0.0) -> str:
        url = self.config.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                "INSERT INTO {table} (task_id, version, host, pid) VALUES (%s, %s, %s, %s)",
                (self.task.task_id, VERSION, socket.gethostname(), os.getpid()))
        time.sleep(pause)
        return VERSION
'''
MODULE = '''
from taskdesk import Controller


class Versioned(Controller):
    def install(self) -> None:
        pass

    def uninstall(self) -> None:
        pass
'''


def package(folder: Path, version: str) -> Path:
    """The extension at that version: its task records that version."""
    path = folder / version / f"{CODE}.zip"
    path.parent.mkdir()
    manifest = {"name": "Versioned", "version": version, "author": "fleet", "description": "",
                "link": ""}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("install.json", json.dumps(manifest))
        archive.writestr("catalog/controller/task.py", TASK.format(version=version, table=RUNS))
        archive.writestr(f"admin/controller/module/{CODE}.py", MODULE)
    return path


def test_an_upgrade_on_one_host_reaches_the_hosts_running_the_extension(
        fleet: Fleet, tmp_path: Path) -> None:
    create_runs_table(fleet)
    workers = [fleet.start(host, 2) for host in ("host2", "host3")]
    fleet.wait_registered(workers)
    with serve(fleet, "host1") as admin:
        admin.call("POST", "/api/extensions/upload", upload=package(tmp_path, "1.0.0"),
                   expect=201)
        admin.call("POST", f"/api/extensions/{CODE}/install")
        started = time.monotonic()
        with stream(fleet) as added:
            wait_complete(fleet, UPGRADE_AFTER)
            admin.call("POST", "/api/extensions/upload", upload=package(tmp_path, "1.1.0"),
                       form={"upgrade": "true"}, expect=201)
            committed = database_now(fleet)
            at_upgrade, added_at_upgrade = fleet.db.complete(), len(added)
            time.sleep(AFTER_SECONDS)
        tasks = len(added)
        wait_complete(fleet, tasks)
        seconds = time.monotonic() - started
        admin.remove_extensions()
    assert fleet.stop_workers() == [0, 0], fleet.logs()

    runs = read_runs(fleet)
    per_task = Counter(task_id for task_id, _, _, _ in runs)
    old_after = [run for run in runs if run[1] == "1.0.0" and run[3] > committed]
    new_after = [run for run in runs if run[1] == "1.1.0" and run[3] > committed]
    versions = Counter(version for _, version, _, _ in runs)
    summary = Summary(
        scenario="upgrade", tasks=tasks, hosts=3,
        duplicates=sum(1 for count in per_task.values() if count > 1),
        lost=tasks - fleet.db.complete() + sum(1 for t in task_ids(fleet) if t not in per_task),
        extra=(f"complete_at_upgrade={at_upgrade} runs_1.0.0={versions['1.0.0']} "
               f"runs_1.1.0={versions['1.1.0']} old_after_upgrade={len(old_after)} "
               f"ran_on={','.join(sorted({host for _, _, host, _ in runs}))}"),
        seconds=seconds)
    print(f"\n{summary.line()}")
    assert summary.lost == 0
    assert summary.duplicates == 0
    assert old_after == [], "a task that started after the upgrade committed ran 1.0.0"
    assert versions["1.0.0"] >= UPGRADE_AFTER, "the stream began on 1.0.0"
    assert at_upgrade < added_at_upgrade, "the upgrade landed mid-stream"
    assert new_after, "tasks kept starting after the upgrade, on 1.1.0"
    assert {host for _, _, host, _ in runs} <= {"host2", "host3"}


def create_runs_table(fleet: Fleet) -> None:
    with fleet.db.engine.connect() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {RUNS}"))
        conn.execute(text(f"CREATE TABLE {RUNS} (id BIGSERIAL PRIMARY KEY, task_id BIGINT "
                          "NOT NULL, version TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER "
                          "NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"))


@contextmanager
def stream(fleet: Fleet) -> Iterator[list[int]]:
    """A thread adding BATCH tasks every GAP_SECONDS (the extension is installed: the
    allow-list lets its route through) until the block ends; the numbers of those added."""
    added: list[int] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def add() -> None:
        desk = fleet.desk()
        try:
            while not stop.wait(GAP_SECONDS):
                numbers = range(len(added), len(added) + BATCH)
                desk.tasks.add_many(NewTask(code=f"{CODE}-{n}", action=ACTION,
                                            args={"pause": PAUSE_SECONDS}) for n in numbers)
                added.extend(numbers)
        except BaseException as error:
            failures.append(error)
        finally:
            desk.close()

    thread = threading.Thread(target=add, daemon=True)
    thread.start()
    try:
        yield added
    finally:
        stop.set()
        thread.join(timeout=60)
    assert failures == [], failures


def wait_complete(fleet: Fleet, count: int) -> None:
    """Until `count` tasks are complete; a task that failed fails the test with its log."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while fleet.db.complete() < count:
        with fleet.db.engine.connect() as conn:
            failed = conn.execute(text(
                "SELECT l.task_id, l.comment FROM task_log l JOIN task t ON t.task_id = "
                "l.task_id WHERE l.status = 'failed' ORDER BY l.task_log_id LIMIT 1")).first()
        assert failed is None, f"task {failed[0]} failed: {failed[1]}\n{fleet.logs()}"
        fleet.check_alive()
        assert time.monotonic() < deadline, (
            f"{fleet.db.complete()} of {count} complete after {DEADLINE_SECONDS} s\n"
            f"{fleet.logs()}")
        time.sleep(0.05)


def database_now(fleet: Fleet) -> datetime:
    with fleet.db.engine.connect() as conn:
        moment: datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    return moment


def read_runs(fleet: Fleet) -> list[tuple[int, str, str, datetime]]:
    with fleet.db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT task_id, version, host, at FROM {RUNS} "
                                 "ORDER BY id")).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def task_ids(fleet: Fleet) -> list[int]:
    with fleet.db.engine.connect() as conn:
        return list(conn.execute(text("SELECT task_id FROM task")).scalars())
