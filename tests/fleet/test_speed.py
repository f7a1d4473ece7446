"""Issue 16, item 4: throughput of no-op tasks on 1, 2 and 3 hosts, and add→start latency
across hosts with idle workers (woken by LISTEN/NOTIFY over the subnet). Run with `-s` to see
the summary lines. No timed assertion: the figures are printed; what is asserted is that every
task ran exactly once (throughput) and that every task started (latency)."""

from __future__ import annotations

import statistics
import time

from bench.fleet import HOST_COUNTS, table
from bench.options import console
from sqlalchemy import text

from tests.chaos.verdict import duplicates, lost_tasks
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary
from tests.fleet.throughput import run_throughput

TASKS = 1_000  # per host count
CONCURRENCY = 2
LATENCY_TASKS = 40
LATENCY_GAP_SECONDS = 0.1  # between two adds: each finds every worker idle
WARM_UP = 12  # tasks run before measuring, so that every worker has opened its connections


def test_no_op_tasks_run_exactly_once_on_one_two_and_three_hosts(fleet: Fleet) -> None:
    summaries = [run_throughput(fleet, hosts, TASKS, CONCURRENCY) for hosts in HOST_COUNTS]
    print()
    for summary in summaries:
        print(summary.line())
    console().print(table(summaries))  # bench/fleet.py's table, as it prints it
    assert [(s.lost, s.duplicates) for s in summaries] == [(0, 0)] * 3


def test_idle_workers_on_other_hosts_start_each_task_at_once(fleet: Fleet) -> None:
    workers = [fleet.start(host) for host in fleet.hosts]
    fleet.wait_registered(workers)
    fleet.add(WARM_UP, prefix="warm")
    fleet.wait_complete(WARM_UP, 30.0)
    desk = fleet.desk()
    started = time.monotonic()
    try:
        for n in range(LATENCY_TASKS):
            desk.tasks.add(f"latency-{n}", "tests.chaos.handlers:Record", {"pause": 0.0})
            time.sleep(LATENCY_GAP_SECONDS)
    finally:
        desk.close()
    fleet.wait_complete(WARM_UP + LATENCY_TASKS, 30.0)
    seconds = time.monotonic() - started
    assert fleet.stop_workers() == [0] * len(workers), fleet.logs()
    delays = latencies(fleet)
    executions = fleet.db.executions()
    hosts = {run.pid for run in executions if run.task_id > WARM_UP}
    cuts = statistics.quantiles(delays, n=100, method="inclusive")
    summary = Summary(
        scenario="latency", tasks=LATENCY_TASKS, hosts=len(workers),
        duplicates=duplicates(executions),
        lost=len(lost_tasks(fleet.db.statuses(), {run.task_id for run in executions})),
        extra=(f"add_to_start_ms p50={statistics.median(delays) * 1000:.1f} "
               f"p99={cuts[98] * 1000:.1f} max={max(delays) * 1000:.1f} "
               f"hosts_that_ran={len(hosts)}"), seconds=seconds)
    print(f"\n{summary.line()}")
    assert len(delays) == LATENCY_TASKS, "every task started"
    assert (summary.lost, summary.duplicates) == (0, 0)


def latencies(fleet: Fleet) -> list[float]:
    """Seconds from each measured task's add to the moment its handler ran (recorded by the
    handler itself on the database's clock; the adder's clock is the same machine's)."""
    with fleet.db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT extract(epoch FROM e.at - (t.date_added AT TIME ZONE 'UTC')) "
            "FROM chaos_execution e JOIN task t ON t.task_id = e.task_id "
            "WHERE t.code LIKE 'latency-%'")).scalars().all()
    return [float(row) for row in rows]
