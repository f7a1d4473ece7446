"""Issue 16, item 4: one host's link cut mid-run for longer than the lease. Host 1 (one
thread) is cut at the switch while it runs a task that has already recorded its execution;
the cable stays out for two leases and a second. Its task is recovered by hosts 2 and 3 and
runs again there (the only duplicate allowed); nothing is lost; when the cable returns, host 1's
late outcome is refused (the task keeps the one completion stored by the other host), and host
1 goes on and stops cleanly on SIGTERM. The verdict is the chaos test's (tests/chaos/verdict.py)
with the cut host standing for the killed worker: its executions recorded after the cut are
counted as a later life of that worker, which may not be a duplicate's earlier run."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import text

from taskdesk.store.protocol import LEASE_LOST
from tests.chaos.verdict import Execution, duplicates, lost_tasks, unexplained
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary

LEASE = "3"  # heartbeats every second: a loaded 2-core machine keeps the others alive
CUT_SECONDS = 2 * float(LEASE) + 1.0
TASKS = 60
RECOVERY = "expired during attempt"  # the log comment of a recovery (store/protocol.py)
PAUSE_SECONDS = 0.8  # the record half-way: the cut lands after host 1's task recorded itself


def test_a_host_cut_off_longer_than_the_lease_loses_nothing_and_overwrites_nothing(
        fleet: Fleet) -> None:
    cut_host = fleet.start("host1", 1, TASKDESK_LEASE_SECONDS=LEASE)
    others = [fleet.start(host, 2, TASKDESK_LEASE_SECONDS=LEASE) for host in fleet.hosts[1:]]
    fleet.wait_registered([cut_host, *others])
    started = time.monotonic()
    fleet.add(TASKS, pause=PAUSE_SECONDS)
    held = wait_for_recorded_task(fleet, cut_host.pid)
    fleet.network.cut(fleet.namespace("host1"))
    last_before_cut = fleet.db.last_execution()
    try:
        time.sleep(CUT_SECONDS)
        fleet.check_alive()
    finally:
        fleet.network.restore(fleet.namespace("host1"))
    fleet.wait_complete(TASKS, 60.0)
    assert fleet.stop_workers() == [0, 0, 0], fleet.logs()
    seconds = time.monotonic() - started

    executions = later_life(fleet.db.executions(), cut_host.pid, last_before_cut)
    recoveries = fleet.db.recoveries()
    summary = Summary(
        scenario="link cut", tasks=TASKS, hosts=3, cuts=1, recovered=len(recoveries),
        duplicates=duplicates(executions),
        lost=len(lost_tasks(fleet.db.statuses(), {run.task_id for run in executions})),
        extra=f"held_at_cut=task {held}", seconds=seconds)
    print(f"\n{summary.line()}")
    assert unexplained(executions, recoveries, {cut_host.pid}) == []
    assert summary.lost == 0
    assert (held, cut_host.pid) in recoveries, "the held task was recovered from host 1"
    assert {pid for _, pid in recoveries} == {cut_host.pid}
    assert summary.duplicates <= 1, "only the task host 1 was running may run twice"
    completions = completions_by_task(fleet)
    assert all(count == 1 for count in completions.values()), completions
    assert set(completions) == set(range(1, TASKS + 1))
    assert host1_rows(fleet, held) == ["recovered", LEASE_LOST], "its late outcome refused"


def wait_for_recorded_task(fleet: Fleet, pid: int, seconds: float = 30.0) -> int:
    """A task host 1 is running that has recorded its execution (so that the cut cannot
    hold back its record): its id."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with fleet.db.engine.connect() as conn:
            task_id = conn.execute(text(
                "SELECT t.task_id FROM task t JOIN chaos_execution e ON e.task_id = t.task_id "
                "AND e.pid = :pid AND e.attempt = t.attempts WHERE t.status = 'processing' "
                "AND t.worker_id LIKE 'host1:%'"), {"pid": pid}).scalar()
        if task_id is not None:
            return int(task_id)
        fleet.check_alive()
        time.sleep(0.01)
    raise AssertionError(f"host 1 never ran a task\n{fleet.logs()}")


def later_life(executions: list[Execution], pid: int, last_before_cut: int) -> list[Execution]:
    """The cut host's executions recorded after the cut, under another (negative) pid: to the
    verdict, a worker that was not cut."""
    return [run._replace(pid=-pid) if run.pid == pid and run.id > last_before_cut else run
            for run in executions]


def completions_by_task(fleet: Fleet) -> Counter[int]:
    """The completions stored (a refused late outcome is logged too, marked LEASE_LOST)."""
    with fleet.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT task_id FROM task_log WHERE status = 'complete' "
                                 "AND comment NOT LIKE :lost"), {"lost": f"%{LEASE_LOST}"})
        return Counter(int(row[0]) for row in rows)


def host1_rows(fleet: Fleet, task_id: int) -> list[str]:
    """Host 1's rows of that task in the log: the recovery of its lease ("recovered"), then
    its late outcome, LEASE_LOST (refused) or "stored" (it overwrote the other's)."""
    with fleet.db.engine.connect() as conn:
        comments = conn.execute(text(
            "SELECT comment FROM task_log WHERE task_id = :t AND worker_id LIKE 'host1:%' "
            "ORDER BY task_log_id"), {"t": task_id}).scalars().all()
    return ["recovered" if RECOVERY in c else LEASE_LOST if c.endswith(LEASE_LOST) else "stored"
            for c in comments]
