"""Throughput of no-op tasks on the first N hosts of a fleet, with the chaos test's verdict:
shared by tests/fleet/test_speed.py and bench/fleet.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.chaos.verdict import duplicates, lost_tasks, overcharged
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary

DEADLINE_SECONDS = 300.0  # for the tasks to complete: a hang fails, never a measure


def run_throughput(fleet: Fleet, hosts: int, tasks: int, concurrency: int = 2) -> Summary:
    """`tasks` no-op tasks on the first `hosts` hosts (`concurrency` threads each), timed
    from the add (every worker up and idle) to the last completion; then every worker must
    stop with 0 and every task must have run exactly once, charged one attempt."""
    fleet.clear()
    workers = [fleet.start(host, concurrency) for host in fleet.hosts[:hosts]]
    fleet.wait_registered(workers)
    started, busy_before = time.monotonic(), busy_cpu_seconds()
    fleet.add(tasks)
    fleet.wait_complete(tasks, DEADLINE_SECONDS)
    seconds, busy = time.monotonic() - started, busy_cpu_seconds() - busy_before
    assert fleet.stop_workers() == [0] * hosts, fleet.logs()
    executions = fleet.db.executions()
    assert len(executions) == tasks, f"{len(executions)} executions of {tasks} tasks"
    assert overcharged(fleet.db.attempts(), executions) == {}
    ran_on = {run.pid for run in executions}
    return Summary(
        scenario="throughput", tasks=tasks, hosts=hosts, duplicates=duplicates(executions),
        lost=len(lost_tasks(fleet.db.statuses(), {run.task_id for run in executions})),
        extra=f"tasks/s={tasks / seconds:.0f} runners_used={len(ran_on)} cpu_busy_s={busy:.1f}",
        seconds=seconds, busy_cpu_seconds=busy)


def busy_cpu_seconds() -> float:
    """Seconds this machine's cores have spent busy since boot, all processes together (the
    hosts, the database, anything else running): /proc/stat's first line, in clock ticks,
    less idle and iowait."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
