"""Issue 7, item 15: a worker whose database is dropped under it logs one line when the outage
starts and one when the database is back (not a traceback per thread per poll), backs off
meanwhile, and runs tasks again once the database is back."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from taskdesk import Settings, Status
from taskdesk.errors import StoreUnavailable
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.models.tasks import LogEntry
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner
from taskdesk.store import MemoryStore
from tests.cli.harness import MODULE_COMMAND, REPO_ROOT, Cli
from tests.runner.processes import wait_for
from tests.support import ADMIN_URL, require_postgres

pytestmark = pytest.mark.hostile

OUTAGE_SECONDS = 4.0
TIMEOUT = 60.0


@pytest.fixture
def admin() -> Iterator[Engine]:
    require_postgres()
    engine = create_engine(ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def execute(admin: Engine, statement: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(statement))


@pytest.fixture
def database(admin: Engine) -> Iterator[str]:
    """A database's name; the test drops and recreates it."""
    name = f"taskdesk_test_{uuid.uuid4().hex[:10]}"
    execute(admin, f'CREATE DATABASE "{name}"')
    yield name
    execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.postgres
def test_a_dropped_database_is_one_line_and_the_worker_recovers(
    admin: Engine, database: str, tmp_path: Path
) -> None:
    cli = Cli(home=tmp_path / "home", database_url=f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}",
              in_process=True)  # the set-up and checks; the worker is a real process
    cli.ok("init")
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [*MODULE_COMMAND, "worker", "--concurrency", "2"], cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=output,
            env={**cli.env, "TASKDESK_POLL_SECONDS": "0.1", "TASKDESK_LEASE_SECONDS": "3"},
        )
    try:
        wait_for(lambda: len(cli.json("runners")) == 1, timeout=TIMEOUT, what="the worker")
        execute(admin, f'DROP DATABASE "{database}" WITH (FORCE)')
        time.sleep(OUTAGE_SECONDS)
        execute(admin, f'CREATE DATABASE "{database}"')
        cli.ok("init")
        task = cli.add("after", "tests.support.handlers:noop")
        wait_for(lambda: cli.task(task["task_id"])["status"] == "complete", timeout=TIMEOUT,
                 what="the worker to run a task once the database is back")
        os.kill(worker.pid, signal.SIGTERM)
        worker.wait(timeout=TIMEOUT)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)

    lines = log.read_text().splitlines()
    assert worker.returncode == 0, lines
    assert "Traceback" not in "\n".join(lines)
    assert len([line for line in lines if "store.unavailable" in line]) == 1, lines
    assert len([line for line in lines if "store.back" in line]) == 1, lines
    assert len(lines) <= 4, lines


class _GoneAtStart(MemoryStore):
    """A database that goes away just as a worker starts: its first recovery fails."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("cannot use the database: terminating connection due to "
                                   "administrator command")
        return super().recover(lease_seconds=lease_seconds)


@pytest.mark.postgres
def test_a_database_gone_as_the_worker_starts_is_an_outage_not_the_end(
    settings: Settings,
) -> None:
    store = _GoneAtStart()
    TaskRegistry(store, settings).add("t", "tests.support.handlers:noop")
    runner = Runner(store, settings.evolve(poll_seconds=0.01), resolver=Resolver(
        ControllerLoader(lambda code: None)))
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, args=(stop,))
    worker.start()
    try:
        wait_for(lambda: runner.stats.total == 1, timeout=TIMEOUT, what="the task to run")
    finally:
        stop.set()
        worker.join(timeout=TIMEOUT)
    assert runner.stats.by_status == {Status.COMPLETE: 1}
    assert store.failures == 0


class _GoneAfterRegistering(MemoryStore):
    """A database dropped just after the worker registered: its clock check fails."""

    def clock_offset(self) -> float:
        raise StoreUnavailable("cannot use the database: database does not exist")


def test_a_database_gone_right_after_registering_is_the_outage_s_one_line(
    settings: Settings, caplog: pytest.LogCaptureFixture,
) -> None:
    store = _GoneAfterRegistering()
    TaskRegistry(store, settings).add("t", "tests.support.handlers:noop")
    runner = Runner(store, settings.evolve(poll_seconds=0.01, lease_seconds=0.6),
                    resolver=Resolver(ControllerLoader(lambda code: None)))
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, args=(stop,))
    with caplog.at_level("INFO", logger="taskdesk"):
        worker.start()
        try:
            wait_for(lambda: runner.stats.total == 1, timeout=TIMEOUT, what="the task to run")
            wait_for(lambda: "store.back" in caplog.text, timeout=TIMEOUT,
                     what="a heartbeat to end the outage")
        finally:
            stop.set()
            worker.join(timeout=TIMEOUT)
    messages = [record.getMessage() for record in caplog.records]
    assert not [m for m in messages if "runner.step_failed" in m], messages
    assert len([m for m in messages if m.startswith("store.unavailable")]) == 1, messages
    assert len([m for m in messages if m.startswith("store.back")]) == 1, messages
