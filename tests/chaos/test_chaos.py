"""The chaos test (issue 9, item 8; issue 14): real `taskdesk worker` processes (two with one
thread on SQLite, three with two threads on PostgreSQL) run 3,000 tasks, quick ones and a few
slow ones, while the test kills workers with SIGKILL five times
(each replaced at once) and injects transient errors: on SQLite a second connection holds the
write lock for 2 s, twice; on PostgreSQL the backends of the workers' pools are terminated
once and the finishes of three attempts fail with a serialization failure. Afterwards every
task is complete, none is lost, a task ran more than once only if a worker was killed while it
held it (its last execution, its outcome never stored, its lease recovered in the log), no
task ended failed without running, and every attempt charged is an execution (or a kill's).

Bounded in time on a 2-core machine: 6 s leases, so that a killed worker's task is recovered
within about 8 s, while the 2 s write lock stays well inside a lease (a worker that cannot
write for a whole lease is taken for dead: with 2 s leases a live worker's lease could expire
behind the injected lock and its task be recovered while it ran). The events are spread at
random over the run by progress (the share of tasks complete), so they land mid-run whatever
the machine's speed. Each quick task sleeps 2 ms around its record, each slow one (one in two
hundred) 0.3 s. Loopback only. Run with `-s` to see the summary, one line per backend.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from taskdesk import Taskdesk
from taskdesk.models.tasks import NewTask
from tests.chaos.harness import Database, Workers
from tests.chaos.verdict import Summary, duplicates, lost_tasks, overcharged, unexplained

TASKS = 3_000
KILLS = 5
PAUSE_SECONDS = 0.002  # each task's own time: a kill lands mid-task, before or after its record
SLOW_EVERY, SLOW_SECONDS = 200, 0.3  # one task in two hundred is slow
LOCK_SECONDS = 2.0  # SQLite: how long the second connection holds the write lock
LOCKS = 2
SERIALIZATION_FAILURES = 3  # PostgreSQL: finishes that fail with SQLSTATE 40001
DEADLINE_SECONDS = 150.0  # for every task to complete: a hang fails rather than blocks the suite
WORKER_SETTINGS = {
    "TASKDESK_ALLOWED_ACTIONS": "tests",
    "TASKDESK_LEASE_SECONDS": "6",  # three times LOCK_SECONDS
    "TASKDESK_POLL_SECONDS": "0.05",
    "TASKDESK_RETRY_DELAY_SECONDS": "0.2",
}
MAX_ATTEMPTS = 20  # a task killed again and again still completes: kills are not failures


@dataclass
class Chaos:
    """One run: the workers, the planned events (at shares of tasks complete), what happened."""

    db: Database
    workers: Workers
    rng: random.Random
    events: list[tuple[float, str]]
    terminated: int = 0
    after_termination: int = 0  # the last execution recorded before the termination
    pids_at_termination: set[int] = field(default_factory=set)
    locks: list[threading.Thread] = field(default_factory=list)

    def drive(self) -> None:
        """Fire each event once its share of tasks is complete, until every task is."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while (done := self.db.complete()) < TASKS:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {done} of {TASKS} tasks complete after "
                                     f"{DEADLINE_SECONDS} s; logs:\n{self.workers.log_tail()}")
            self.workers.check_alive()
            if self.events and done >= self.events[0][0] * TASKS and self._fire(self.events[0][1]):
                self.events.pop(0)
            time.sleep(0.02)

    def _fire(self, event: str) -> bool:
        if event == "kill":
            return self.workers.kill_one(self.db.busy_pids(), self.rng) is not None
        if event == "lock":
            self.locks.append(self.db.hold_write_lock(LOCK_SECONDS))
            return True
        if event == "serialize":
            self.db.fail_serializations(SERIALIZATION_FAILURES)
            return True
        if not {p.pid for p in self.workers.running} <= self.db.registered_pids():
            return False  # a worker restarted after a kill is still starting: not yet
        self.after_termination = self.db.last_execution()
        self.pids_at_termination = {p.pid for p in self.workers.running}
        self.terminated = self.db.terminate_workers()
        return True


def plan(rng: random.Random, *, postgres: bool) -> list[tuple[float, str]]:
    """Five kills, one in each tenth from 10% to 60% complete. PostgreSQL: the termination in
    30-50%, the serialization failures in 20-70%. SQLite: the write lock held in 15-35% and
    in 45-75%."""
    events = [(rng.uniform(0.1 * n, 0.1 * n + 0.1), "kill") for n in range(1, KILLS + 1)]
    if postgres:
        events += [(rng.uniform(0.3, 0.5), "terminate"), (rng.uniform(0.2, 0.7), "serialize")]
    else:
        events += [(rng.uniform(0.15, 0.35), "lock"), (rng.uniform(0.45, 0.75), "lock")]
    return sorted(events)


def add_tasks(database_url: str, home: Path) -> None:
    desk = Taskdesk(database_url=database_url, home=home, allowed_actions=("tests",))
    try:
        desk.tasks.add_many(
            NewTask(code=f"chaos-{n}", action="tests.chaos.handlers:Record",
                    args={"pause": SLOW_SECONDS if n % SLOW_EVERY == 0 else PAUSE_SECONDS},
                    max_attempts=MAX_ATTEMPTS)
            for n in range(TASKS))
    finally:
        desk.close()


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "worker_count", "threads"), [
    ("sqlite", 2, 1), pytest.param("postgres", 3, 2, marks=pytest.mark.postgres)],
    indirect=["backend"])
def test_killed_workers_lose_no_task_and_repeat_only_what_they_were_running(
    backend: str, worker_count: int, threads: int, database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    db.create_table()
    (tmp_path / "logs").mkdir()
    try:
        add_tasks(database_url, tmp_path / "home")
        started = time.monotonic()
        chaos = run(db, database_url, tmp_path, worker_count, threads)
        summary = summarize(chaos, backend, worker_count, threads,
                            time.monotonic() - started)
    finally:
        db.drop_table()
    print(f"\n{summary.line()}")
    assert summary.unexplained == (), "\n".join(summary.unexplained)
    assert (summary.lost, summary.kills, summary.never_ran_failed) == (0, KILLS, 0)
    assert len(summary.overcharged) <= KILLS * threads, summary.overcharged  # a kill's threads
    assert all(charged == ran + 1 for charged, ran in summary.overcharged.values())
    assert summary.terminated >= (worker_count if backend == "postgres" else 0)
    assert summary.injected == (f"serialization_failures={SERIALIZATION_FAILURES}"
                                if backend == "postgres" else f"write_locks={LOCKS}")


def run(db: Database, database_url: str, tmp_path: Path, worker_count: int,
        threads: int) -> Chaos:
    env = {**WORKER_SETTINGS, "TASKDESK_HOME": str(tmp_path / "home"),
           "TASKDESK_DATABASE_URL": database_url}
    rng = random.Random()
    workers = Workers(env, tmp_path / "logs", worker_count, threads)
    try:
        chaos = Chaos(db, workers, rng, plan(rng, postgres=db.postgres))
        chaos.drive()
        for lock in chaos.locks:
            lock.join()
        assert workers.stop() == [0] * worker_count, workers.log_tail()
    finally:
        workers.end()
    return chaos


def summarize(chaos: Chaos, backend: str, worker_count: int, threads: int,
              seconds: float) -> Summary:
    executions = chaos.db.executions()
    recoveries = chaos.db.recoveries()
    killed = set(chaos.workers.killed)
    reconnected = {run.pid for run in executions if run.id > chaos.after_termination}
    never_back = (chaos.pids_at_termination - killed) - reconnected
    assert not never_back, f"workers {never_back} ran nothing after their backends ended"
    statuses = chaos.db.statuses()
    ran = {run.task_id for run in executions}
    injected = (f"serialization_failures="
                f"{min(chaos.db.serialization_failures(), SERIALIZATION_FAILURES)}"
                if chaos.db.postgres else f"write_locks={len(chaos.locks)}")
    return Summary(
        backend=backend, tasks=TASKS, workers=worker_count, kills=len(killed),
        terminated=chaos.terminated, recovered=len(recoveries), executions=len(executions),
        duplicates=duplicates(executions), lost=len(lost_tasks(statuses, ran)),
        unexplained=tuple(unexplained(executions, recoveries, killed)),
        overcharged=overcharged(chaos.db.attempts(), executions),
        never_ran_failed=sum(1 for t, status in statuses.items()
                             if status == "failed" and t not in ran),
        injected=injected, seconds=seconds)
