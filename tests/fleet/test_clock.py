"""Issue 16, item 4: a host whose clock is 10 s ahead. Host 1's worker runs with its whole
process's wall clock shifted by libfaketime (LD_PRELOAD: time(), gettimeofday(),
clock_gettime(CLOCK_REALTIME) — a real shift, not a taskdesk setting), more than three leases.
Leases and schedules are on the database's clock, so the skew is harmless: every task runs
exactly once, no lease expires under a live worker (a host that judged leases by its own clock
would recover the others' tasks at once), and a schedule due a few seconds from now (on the
database's clock) fires once, not early, whichever host takes it."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import libfaketime
from sqlalchemy import select, text, update

from taskdesk.store.sql.schema import schedule, task
from tests.chaos.verdict import duplicates, lost_tasks, overcharged
from tests.fleet.harness import REPO, Fleet
from tests.fleet.summary import Summary

AHEAD_SECONDS = 10
LEASE = "3"
TASKS = 2_000
PAUSE_SECONDS = 0.002
PERIODS = 3
PERIOD_SECONDS = 2.0  # each period's firing is due this long after it is set, on the db clock
DEADLINE_SECONDS = 15.0
LIBRARY = next(Path(libfaketime.__file__).parent.glob("vendor/libfaketime/src/libfaketime.so*"))
#: The shift for every process of the host (the monotonic clock is left alone, as a real
#: machine whose wall clock is wrong keeps its monotonic clock).
AHEAD = {"LD_PRELOAD": str(LIBRARY), "FAKETIME": f"+{AHEAD_SECONDS}s",
         "DONT_FAKE_MONOTONIC": "1"}


def test_a_host_ten_seconds_ahead_runs_tasks_once_and_fires_schedules_on_time(
        fleet: Fleet) -> None:
    measured = skew_inside(fleet, "host1")
    assert abs(measured - AHEAD_SECONDS) < 1.0, f"host 1's clock is {measured:.2f} s ahead"
    fleet.run("host1", "schedule", "add", "tick", "tests.chaos.handlers:Record",
              "--every", "minute")
    disable(fleet)
    workers = [fleet.start("host1", 2, TASKDESK_LEASE_SECONDS=LEASE, **AHEAD)]
    workers += [fleet.start(host, 2, TASKDESK_LEASE_SECONDS=LEASE) for host in fleet.hosts[1:]]
    fleet.wait_registered(workers)
    started = time.monotonic()
    fleet.add(TASKS, pause=PAUSE_SECONDS)
    fleet.wait_complete(TASKS, 120.0)
    fired = [fire_once(fleet, period) for period in range(1, PERIODS + 1)]
    assert fleet.stop_workers() == [0, 0, 0], fleet.logs()
    seconds = time.monotonic() - started

    executions = fleet.db.executions()
    recoveries = fleet.db.recoveries()
    ran_on = hosts_that_ran(fleet)
    summary = Summary(
        scenario="clock ahead", tasks=TASKS + PERIODS, hosts=3, recovered=len(recoveries),
        duplicates=duplicates(executions),
        lost=len(lost_tasks(fleet.db.statuses(), {run.task_id for run in executions})),
        extra=(f"ahead_s={measured:.1f} periods={PERIODS} "
               f"fired_late_ms={','.join(f'{late * 1000:.0f}' for late in fired)} "
               f"hosts_that_ran={len(ran_on)}"), seconds=seconds)
    print(f"\n{summary.line()}")
    assert summary.lost == 0
    assert summary.duplicates == 0
    assert recoveries == [], "no lease expired under a live worker"
    assert len(executions) == TASKS + PERIODS, "every task ran once"
    assert overcharged(fleet.db.attempts(), executions) == {}
    assert "host1" in ran_on, "the skewed host took part"
    assert "runner.clock_skew" in host_log(fleet, "host1"), "the runner saw the skew"


def skew_inside(fleet: Fleet, host: str) -> float:
    """How far ahead `time.time()` is in a process started on that host as its worker is."""
    command = [*fleet.command(host)[:-2], "-c", "import time; print(time.time())"]
    before = time.time()
    done = subprocess.run(command, cwd=REPO, env=fleet.env(host, **AHEAD), capture_output=True,
                          text=True, timeout=60, check=True)
    after = time.time()
    return float(done.stdout) - (before + after) / 2


def database_now(fleet: Fleet) -> datetime:
    with fleet.db.engine.connect() as conn:
        moment: datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    return moment


def disable(fleet: Fleet) -> None:
    """The schedule waits (a day away) until the stream of tasks is done."""
    with fleet.db.engine.connect() as conn:
        conn.execute(update(schedule).where(schedule.c.code == "tick")
                     .values(next_run_at=database_now(fleet) + timedelta(days=1)))


def fire_once(fleet: Fleet, period: int) -> float:
    """Make the next firing due PERIOD_SECONDS from now on the database's clock; wait until
    its task ran; check it was added once, not before it was due. How late it fired (s)."""
    due = database_now(fleet) + timedelta(seconds=PERIOD_SECONDS)
    with fleet.db.engine.connect() as conn:
        conn.execute(update(schedule).where(schedule.c.code == "tick").values(next_run_at=due))
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        with fleet.db.engine.connect() as conn:
            added = conn.execute(select(task.c.date_added, task.c.status)
                                 .where(task.c.code == "tick")).all()
        if len(added) >= period and all(status == "complete" for _, status in added):
            break
        fleet.check_alive()
        assert time.monotonic() < deadline, f"period {period} never fired\n{fleet.logs()}"
        time.sleep(0.02)
    assert len(added) == period, f"period {period}: {len(added)} firings in all"
    last = max(moment for moment, _ in added)
    assert last >= due, f"fired {(due - last).total_seconds():.2f} s early"
    late: float = (last - due).total_seconds()
    return late


def hosts_that_ran(fleet: Fleet) -> set[str]:
    """The host names in the workers' ids of the completions."""
    with fleet.db.engine.connect() as conn:
        ids = conn.execute(text("SELECT DISTINCT split_part(worker_id, ':', 1) FROM task_log "
                                "WHERE status = 'complete'")).scalars().all()
    return set(ids)


def host_log(fleet: Fleet, host: str) -> str:
    return "\n".join(path.read_text(errors="replace")
                     for path in fleet.root.glob(f"{host}-*.log"))
