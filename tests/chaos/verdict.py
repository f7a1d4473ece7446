"""What the chaos run proves, read from the database afterwards: every task complete, none
lost, every task that ran more than once explained by a kill of the worker holding it while it
ran, and every attempt charged explained by an execution (or by a kill).

A worker holds a task only while it runs it, and until the outcome is stored with the claim of
its next task, before that task starts (runner/outcomes.py): a killed worker leaves at most
one unstored outcome per thread, that of its last execution, and charges no attempt to a task
it never started."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple


class Execution(NamedTuple):
    """One attempt as it recorded itself: in which process and thread, in start order."""

    id: int
    task_id: int
    pid: int
    thread: int  # the native id of the worker thread that ran it
    attempt: int


@dataclass(frozen=True, kw_only=True)
class Summary:
    """The printed and asserted figures of one chaos run."""

    backend: str
    tasks: int
    workers: int
    kills: int
    terminated: int  # PostgreSQL backends of the workers' pools terminated
    recovered: int  # recoveries in the task log (an expired lease returned to pending)
    executions: int  # attempts that recorded themselves
    duplicates: int  # tasks that ran more than once
    lost: int  # tasks not complete, or complete without having run
    unexplained: tuple[str, ...]  # tasks that ran again without a kill behind it
    overcharged: dict[int, tuple[int, int]]  # task: (attempts charged, executions) if unequal
    never_ran_failed: int  # tasks that ended failed without one execution
    injected: str  # the transient errors injected, as "what=count"
    seconds: float

    def line(self) -> str:
        return (f"chaos {self.backend}: tasks={self.tasks} workers={self.workers} "
                f"kills={self.kills} backends_terminated={self.terminated} "
                f"recovered={self.recovered} executions={self.executions} "
                f"duplicates={self.duplicates} unexplained={len(self.unexplained)} "
                f"overcharged={len(self.overcharged)} never_ran_failed="
                f"{self.never_ran_failed} injected[{self.injected}] "
                f"lost = {self.lost} ({self.seconds:.1f} s)")


def lost_tasks(statuses: dict[int, str], ran: set[int]) -> list[int]:
    """Tasks that are not complete, or whose completion no execution stands behind."""
    return sorted(t for t, status in statuses.items() if status != "complete" or t not in ran)


def unexplained(executions: list[Execution], recoveries: list[tuple[int, int]],
                killed: set[int]) -> list[str]:
    """A task may run again only after a worker was killed while holding it: every execution
    but a task's last must be by a killed worker, and be the last execution of its thread (it
    was running, or its outcome not yet stored, when the worker died: nothing ran after it on
    that thread), with that lease recovered in the task log."""
    runs: dict[int, list[Execution]] = defaultdict(list)
    on_thread: dict[tuple[int, int], list[int]] = defaultdict(list)
    for run in executions:
        runs[run.task_id].append(run)
        on_thread[run.pid, run.thread].append(run.task_id)
    recovered = set(recoveries)

    def why_not_a_kill(run: Execution) -> str:
        if run.pid not in killed:
            return "that worker was never killed"
        ran = on_thread[run.pid, run.thread]
        later = len(ran) - 1 - ran.index(run.task_id)
        if later:
            return (f"its thread ran {later} tasks after it: its outcome was stored before "
                    "the worker was killed, or should have been")
        if (run.task_id, run.pid) not in recovered:
            return "the task log shows no recovery of that worker's lease"
        return ""

    return [f"task {task_id} ran again after attempt {run.attempt} by worker {run.pid}: {why}"
            for task_id, task_runs in sorted(runs.items()) for run in task_runs[:-1]
            if (why := why_not_a_kill(run))]


def overcharged(attempts: dict[int, int], executions: list[Execution],
                ) -> dict[int, tuple[int, int]]:
    """Tasks charged more attempts than they had executions: (attempts, executions). A kill
    between a task's start and its record may leave one such task per kill and thread;
    nothing else may. (Fewer attempts than executions is never allowed.)"""
    ran: dict[int, int] = defaultdict(int)
    for run in executions:
        ran[run.task_id] += 1
    return {task_id: (charged, ran[task_id]) for task_id, charged in attempts.items()
            if charged != ran[task_id]}


def duplicates(executions: list[Execution]) -> int:
    seen: dict[int, int] = defaultdict(int)
    for run in executions:
        seen[run.task_id] += 1
    return sum(1 for count in seen.values() if count > 1)
