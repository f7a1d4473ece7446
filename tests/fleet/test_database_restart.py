"""Issue 16, item 4: the database restarted mid-run. Every session of every host ends at
once; the workers wait for the server (docs/runners.md, outages), store the outcomes they were
holding, and go on. Nothing is lost and, since no worker was killed, nothing runs twice."""

from __future__ import annotations

import time

from tests.chaos.verdict import duplicates, lost_tasks, unexplained
from tests.fleet.harness import Fleet
from tests.fleet.summary import Summary

TASKS = 400
PAUSE_SECONDS = 0.02


def test_a_database_restart_mid_run_loses_nothing_and_repeats_nothing(fleet: Fleet) -> None:
    workers = [fleet.start(host, 2) for host in fleet.hosts]
    fleet.wait_registered(workers)
    started = time.monotonic()
    fleet.add(TASKS, pause=PAUSE_SECONDS)
    fleet.wait_complete(TASKS // 4, 60.0)
    fleet.cluster.restart()
    fleet.db.engine.dispose()  # the test's own pooled connections died with the server
    done_at_restart = fleet.db.complete()
    fleet.wait_complete(TASKS, 120.0)
    assert fleet.stop_workers() == [0, 0, 0], fleet.logs()

    executions = fleet.db.executions()
    recoveries = fleet.db.recoveries()
    summary = Summary(
        scenario="database restart", tasks=TASKS, hosts=3, recovered=len(recoveries),
        duplicates=duplicates(executions),
        lost=len(lost_tasks(fleet.db.statuses(), {run.task_id for run in executions})),
        extra=f"restarts=1 complete_at_restart={done_at_restart}",
        seconds=time.monotonic() - started)
    print(f"\n{summary.line()}")
    assert summary.lost == 0
    assert summary.duplicates == 0, "no worker was killed: nothing may run twice"
    assert unexplained(executions, recoveries, set()) == []
    assert done_at_restart < TASKS, "the restart landed mid-run"
