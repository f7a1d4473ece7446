"""Runners: claim due tasks, run them, complete them (store how each attempt ended).

Read it in the order of the story (docs/runners.md tells it in prose):

    runner.py          Runner: the loop of one runner process, claim → run → complete,
                       until nothing is due (drain) or it is told to stop (run)
    seams.py           what a runner is given (the resolver of actions, hooks) and gives back
  claim
    queue_slots.py     which queues a claim may take from, and how many tasks
    wakeup.py          an idle worker waits for an add instead of polling
  run
    execute.py         one attempt: resolve the action, check the args, call, read the result
    pool.py            an attempt in a child process (a timeout, process=True)
    child.py           the child's side: it opens the application and runs the attempt
    family.py          the child's process group, which dies with its runner
  complete
    outcomes.py        Completer: each outcome stored with the thread's next claim
  beside the story, while a runner works
    lease.py           LeaseKeeper: heartbeats keep the claims alive
    housekeeper.py     recovery of expired leases, pruning of old rows
    schedule_keeper.py due schedules fired
    periodic.py        the thread each keeper runs on
    outage.py          the database away: said once, backed off, said when back
    contain.py         a step whose failure is logged, never fatal
  start and stop
    spawn.py           `taskdesk start` detached (Run Tasks)
    shutdown.py        the first stop signal drains, the second aborts

The runner is built from the services below it and never imports the front door
(taskdesk.app): a child process gets the application's class and import path from its
runner and opens the application itself (taskdesk.app_path).
"""

from __future__ import annotations

from taskdesk.runner.runner import Runner
from taskdesk.runner.seams import RunnerHooks, RunStats

__all__ = ["RunStats", "Runner", "RunnerHooks"]
