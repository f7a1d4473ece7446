"""The chaos test's machinery: real `taskdesk worker` processes that it kills and restarts
(Workers), and what it reads from and does to the database (Database)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from tests.chaos.handlers import TABLE
from tests.chaos.verdict import Execution

REPO = Path(__file__).resolve().parents[2]
#: libpq names every connection of the workers' pools so (PGAPPNAME): what is terminated.
WORKER_APPLICATION = "taskdesk-chaos-worker"
STOP_SECONDS = 30.0  # a SIGTERM'd worker finishes its running task and exits within this


class Workers:
    """`count` worker processes, each replaced at once when the test kills it."""

    def __init__(self, env: dict[str, str], logs: Path, count: int, threads: int = 1) -> None:
        self.env = {**os.environ, **env, "PGAPPNAME": WORKER_APPLICATION}
        self.logs = logs
        self.threads = threads
        self.running = [self._spawn() for _ in range(count)]
        self.killed: list[int] = []

    def _spawn(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{time.monotonic_ns()}.log").open("wb")
        with log:
            return subprocess.Popen(
                [sys.executable, "-m", "taskdesk", "worker", "--concurrency", str(self.threads)],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill_one(self, busy_pids: set[int], rng: random.Random) -> int | None:
        """SIGKILL a worker that is running a task and start another; its pid, or None when
        no worker is running one right now."""
        victims = [p for p in self.running if p.pid in busy_pids and p.poll() is None]
        if not victims:
            return None
        victim = rng.choice(victims)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=STOP_SECONDS)
        self.killed.append(victim.pid)
        self.running[self.running.index(victim)] = self._spawn()
        return victim.pid

    def check_alive(self) -> None:
        """A worker that exits by itself never recovered from what the test did to it."""
        for process in self.running:
            if process.poll() is not None:
                raise AssertionError(f"worker {process.pid} exited by itself with code "
                                     f"{process.returncode}; its log:\n{self.log_tail()}")

    def stop(self) -> list[int]:
        """SIGTERM every worker (a graceful stop) and wait; their exit codes."""
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        return [process.wait(timeout=STOP_SECONDS) for process in self.running]

    def end(self) -> None:
        """Kill whatever is still running (a failed test), so that nothing outlives it."""
        for process in self.running:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=STOP_SECONDS)

    def log_tail(self, lines: int = 40) -> str:
        texts = [path.read_text(errors="replace") for path in sorted(self.logs.glob("*.log"))]
        return "\n".join("\n".join(log.splitlines()[-lines:]) for log in texts)


class Database:
    """The test's own view of the taskdesk database: progress, victims, and the figures."""

    def __init__(self, url: str) -> None:
        driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.engine: Engine = create_engine(driver_url, isolation_level="AUTOCOMMIT")
        self.postgres = self.engine.dialect.name == "postgresql"

    def create_table(self) -> None:
        key = "id BIGSERIAL PRIMARY KEY" if self.postgres else "id INTEGER PRIMARY KEY"
        with self.engine.connect() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
            conn.execute(text(f"CREATE TABLE {TABLE} ({key}, task_id BIGINT NOT NULL, "
                              "pid INTEGER NOT NULL, thread BIGINT NOT NULL, "
                              "attempt INTEGER NOT NULL)"))

    def drop_table(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
            if self.postgres:
                for statement in DISARM:
                    conn.execute(text(statement))
        self.engine.dispose()

    def hold_write_lock(self, seconds: float) -> threading.Thread:
        """SQLite: a second connection takes the write lock and keeps it `seconds` (every
        worker's writes wait, and fail if they wait longer than they may)."""
        path = str(self.engine.url.database)
        taken = threading.Event()

        def hold() -> None:
            other = sqlite3.connect(path, timeout=60, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            taken.set()
            time.sleep(seconds)
            other.execute("ROLLBACK")
            other.close()

        thread = threading.Thread(target=hold, daemon=True)
        thread.start()
        taken.wait(60)
        return thread

    def fail_serializations(self, count: int) -> None:
        """PostgreSQL: the next `count` finishes (or recoveries) of any worker fail with a
        serialization failure (SQLSTATE 40001), as a concurrent transaction can make them."""
        with self.engine.connect() as conn:
            for statement in (*DISARM, *arm(count)):
                conn.execute(text(statement))

    def serialization_failures(self) -> int:
        """How many injected serialization failures were raised."""
        if not self.postgres:
            return 0
        return self.scalar("SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                           "FROM chaos_fail_seq")

    def scalar(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)

    def complete(self) -> int:
        return self.scalar("SELECT count(*) FROM task WHERE status = 'complete'")

    def last_execution(self) -> int:
        return self.scalar(f"SELECT max(id) FROM {TABLE}")

    def busy_pids(self) -> set[int]:
        """The pids of the workers holding a task right now (from worker_id host:pid:hex)."""
        with self.engine.connect() as conn:
            owners = conn.execute(text(
                "SELECT worker_id FROM task WHERE status = 'processing'")).scalars().all()
        return {pid_of(owner) for owner in owners if owner}

    def registered_pids(self) -> set[int]:
        """The pids of the runners registered now (a worker registers once it has opened the
        database, checked the schema and read the server's clock: its start-up is over)."""
        with self.engine.connect() as conn:
            ids = conn.execute(text("SELECT runner_id FROM runner")).scalars().all()
        return {pid_of(runner_id) for runner_id in ids}

    def terminate_workers(self) -> int:
        """pg_terminate_backend every connection of the workers' pools; how many."""
        return self.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
            f"application_name = '{WORKER_APPLICATION}' AND datname = current_database()")

    def executions(self) -> list[Execution]:
        """Every recorded execution, in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT id, task_id, pid, thread, attempt FROM {TABLE} "
                                     "ORDER BY id")).all()
        return [Execution(*row) for row in rows]

    def attempts(self) -> dict[int, int]:
        """Each task's attempts as taskdesk charged them."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT task_id, attempts FROM task")).all()
        return {row[0]: row[1] for row in rows}

    def statuses(self) -> dict[int, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT task_id, status FROM task")).all()
        return {row[0]: row[1] for row in rows}

    def recoveries(self) -> list[tuple[int, int]]:
        """(task_id, pid of the runner whose lease expired) of each recovery in the task log."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT task_id, worker_id FROM task_log "
                "WHERE comment LIKE '%expired during attempt%'")).all()
        return [(row[0], pid_of(row[1])) for row in rows]


DISARM = ("DROP TRIGGER IF EXISTS chaos_fail ON task", "DROP FUNCTION IF EXISTS chaos_fail()",
          "DROP SEQUENCE IF EXISTS chaos_fail_seq")


def arm(count: int) -> tuple[str, ...]:
    """A trigger on the finish of an attempt (and on a recovery) that raises 40001 for its
    first `count` rows; the sequence counts them outside any transaction's rollback."""
    return (
        "CREATE SEQUENCE chaos_fail_seq",
        "CREATE FUNCTION chaos_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF nextval('chaos_fail_seq') <= {count} THEN RAISE EXCEPTION 'chaos: injected "
        "serialization failure' USING ERRCODE = 'serialization_failure'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER chaos_fail BEFORE UPDATE ON task FOR EACH ROW WHEN "
        "(OLD.status = 'processing' AND NEW.status <> 'processing') "
        "EXECUTE FUNCTION chaos_fail()",
    )


def pid_of(worker_id: str) -> int:
    """A runner's pid from its worker_id, `hostname:pid:random`."""
    return int(worker_id.rsplit(":", 2)[1])
