"""Issue 16, item 4: a recurring schedule with three hosts up fires once per period. The
shortest real period is a minute (docs/schedules.md), too long for the suite: the test makes
each period come by moving the schedule's next firing to the past, as a minute passing does,
while the three hosts' workers (each looking every 0.1 s) race for it. Each period must add
one task, run once; nothing more is added between periods."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, update

from taskdesk.clock import utcnow
from taskdesk.store.sql.schema import schedule
from tests.chaos.verdict import duplicates, lost_tasks
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary

PERIODS = 5
DEADLINE_SECONDS = 15.0  # for one period's task to run: a hang fails, never a measure
QUIET_SECONDS = 1.0  # after the last period: ten rounds of every worker, and nothing fires


def test_a_schedule_fires_once_per_period_with_three_hosts_racing(fleet: Fleet) -> None:
    fleet.run("host1", "schedule", "add", "tick", "tests.chaos.handlers:Record",
              "--every", "minute")
    workers = [fleet.start(host) for host in fleet.hosts]
    fleet.wait_registered(workers)
    started = time.monotonic()
    for period in range(1, PERIODS + 1):
        due_now(fleet)
        wait_for_period(fleet, period)
    time.sleep(QUIET_SECONDS)
    assert fleet.stop_workers() == [0, 0, 0], fleet.logs()
    seconds = time.monotonic() - started

    executions = fleet.db.executions()
    statuses = fleet.db.statuses()
    ran_on = {run.pid for run in executions}
    summary = Summary(
        scenario="schedule", tasks=len(statuses), hosts=len(workers),
        duplicates=duplicates(executions),
        lost=len(lost_tasks(statuses, {run.task_id for run in executions})),
        extra=f"periods={PERIODS} runners_that_ran={len(ran_on)}", seconds=seconds)
    print(f"\n{summary.line()}")
    assert len(statuses) == PERIODS, "one task per period"
    assert len(executions) == PERIODS
    assert (summary.lost, summary.duplicates) == (0, 0)
    assert next_run_at_is_future(fleet)


def due_now(fleet: Fleet) -> None:
    """The period ends: the schedule's next firing is now due."""
    with fleet.db.engine.connect() as conn:
        conn.execute(update(schedule).where(schedule.c.code == "tick")
                     .values(next_run_at=utcnow() - timedelta(seconds=1)))


def wait_for_period(fleet: Fleet, period: int) -> None:
    """Until the period's firing has added its task and that task has run."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not (next_run_at_is_future(fleet) and fleet.db.complete() >= period):
        fleet.check_alive()
        assert time.monotonic() < deadline, f"period {period} never fired\n{fleet.logs()}"
        time.sleep(0.02)
    assert fleet.db.scalar("SELECT count(*) FROM task") == period, "one task per firing"


def next_run_at_is_future(fleet: Fleet) -> bool:
    with fleet.db.engine.connect() as conn:
        due = conn.execute(select(schedule.c.next_run_at)
                           .where(schedule.c.code == "tick")).scalar_one()
    return bool(due > utcnow())
