"""Issue 16, item 4: a recurring schedule with three hosts up fires once per period. The
shortest real period is a minute (docs/schedules.md), too long for the suite: the test makes
each period come by moving the schedule's next firing to the past, as a minute passing does,
while the three hosts' workers (each looking every 0.1 s) race for it. Each period must add
one task, run once; nothing more is added between periods. Then the same with one host's link
cut for longer than a lease in the middle of the periods: the two others keep firing it once
per period, and when the link returns the cut host adds no second firing of any period."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, text, update

from taskdesk.clock import utcnow
from taskdesk.store.sql.schema import schedule
from tests.chaos.verdict import duplicates, lost_tasks
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary

PERIODS = 5
LEASE = "3"
CUT_PERIODS = 12  # one a second: two before the cut, seven cut off, three after its return
CUT_AT, RESTORE_AT = 2, 9
CUT_PERIOD_SECONDS = 1.0
#: How late a firing may be: a host cut in the middle of a firing holds the schedule's row
#: until the server ends its session (idle in transaction or statement: below a lease).
LATE_SECONDS = float(LEASE)
DEADLINE_SECONDS = 15.0  # for one period's task to run: a hang fails, never a measure
QUIET_SECONDS = 1.0  # after the last period: ten rounds of every worker, and nothing fires


def test_a_schedule_fires_once_per_period_with_three_hosts_racing(fleet: Fleet) -> None:
    fleet.run("host1", "schedule", "add", "tick", "tests.chaos.handlers:Record",
              "--every", "minute")
    only_when_told(fleet)
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


def only_when_told(fleet: Fleet) -> None:
    """A new minute schedule first fires at the next whole minute, which may come while the
    workers start: that firing is a period of its own, not one the test made. Before any
    worker runs, its first firing moves an hour away, so every period is one due_now made
    (each firing's next is then a minute after it, beyond the test's end)."""
    with fleet.db.engine.connect() as conn:
        conn.execute(update(schedule).where(schedule.c.code == "tick")
                     .values(next_run_at=utcnow() + timedelta(hours=1)))


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


def test_a_schedule_fires_once_per_period_while_one_host_is_cut_off_and_after(
        fleet: Fleet) -> None:
    fleet.run("host1", "schedule", "add", "tick", "tests.chaos.handlers:Record",
              "--every", "minute")
    only_when_told(fleet)
    workers = [fleet.start(host, TASKDESK_LEASE_SECONDS=LEASE) for host in fleet.hosts]
    fleet.wait_registered(workers)
    started = time.monotonic()
    late: list[float] = []
    namespace = fleet.namespace("host1")
    try:
        for period in range(1, CUT_PERIODS + 1):
            if period == CUT_AT + 1:
                fleet.network.cut(namespace)
            if period == RESTORE_AT + 1:
                fleet.network.restore(namespace)
            late.append(fire_one_period(fleet, period))
            time.sleep(max(0.0, started + period * CUT_PERIOD_SECONDS - time.monotonic()))
    finally:
        fleet.network.restore(namespace)
    fleet.wait_complete(CUT_PERIODS, 60.0)
    time.sleep(QUIET_SECONDS)
    assert fleet.stop_workers() == [0, 0, 0], fleet.logs()
    seconds = time.monotonic() - started

    executions = fleet.db.executions()
    statuses = fleet.db.statuses()
    recoveries = fleet.db.recoveries()
    summary = Summary(
        scenario="schedule, one host cut", tasks=len(statuses), hosts=len(workers), cuts=1,
        recovered=len(recoveries), duplicates=duplicates(executions),
        lost=len(lost_tasks(statuses, {run.task_id for run in executions})),
        extra=f"periods={CUT_PERIODS} cut_s={RESTORE_AT - CUT_AT} max_late_ms="
              f"{max(late) * 1000:.0f} ran_on={','.join(sorted(hosts_that_ran(fleet)))}",
        seconds=seconds)
    print(f"\n{summary.line()}")
    assert len(statuses) == CUT_PERIODS, "one firing per period, none added on the return"
    assert summary.lost == 0
    assert {pid for _, pid in recoveries} <= {workers[0].pid}, "only the cut host's"
    assert summary.duplicates <= len(recoveries), "a task runs twice only if recovered"
    assert max(late) <= LATE_SECONDS, f"a period fired {max(late):.1f} s late"
    assert next_run_at_is_future(fleet)


def fire_one_period(fleet: Fleet, period: int) -> float:
    """The period's firing due now; until its task is added (it may run later: the host
    that took it may be the cut one). How late it was added, in seconds."""
    due_now(fleet)
    began = time.monotonic()
    while (added := fleet.db.scalar("SELECT count(*) FROM task")) < period:
        fleet.check_alive()
        assert time.monotonic() - began < DEADLINE_SECONDS, (
            f"period {period} never fired\n{fleet.logs()}")
        time.sleep(0.01)
    assert added == period, f"period {period}: {added} firings in all"
    return time.monotonic() - began


def hosts_that_ran(fleet: Fleet) -> set[str]:
    """The hosts whose runners ran the firings' tasks."""
    with fleet.db.engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT DISTINCT split_part(worker_id, ':', 1) FROM task_log "
            "WHERE status = 'complete'")).scalars())
