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


def unexplained(executions: list[tuple[int, int, int, int]], recoveries: list[tuple[int, int]],
                killed: set[int], *, threads: int) -> list[str]:
    """A task may run again only after a worker was killed while holding it: every execution
    but a task's last must be by a killed worker, and be among that worker's last `threads`
    executions (one per thread: killed before its outcome was stored, nothing ran after it
    on that thread), with that lease recovered in the task log."""
    runs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    ran_by: dict[int, list[int]] = defaultdict(list)
    for _, task_id, pid, _ in executions:
        ran_by[pid].append(task_id)
    for _, task_id, pid, attempt in executions:
        runs[task_id].append((pid, attempt))
    recovered = set(recoveries)

    def why_not_a_kill(task_id: int, pid: int) -> str:
        if pid not in killed:
            return "that worker was never killed"
        later = len(ran_by[pid]) - 1 - ran_by[pid].index(task_id)
        if later >= threads:
            return (f"that worker ran {later} tasks after it: its outcome was stored before "
                    "the worker was killed, or should have been")
        if (task_id, pid) not in recovered:
            return "the task log shows no recovery of that worker's lease"
        return ""

    return [f"task {task_id} ran again after attempt {attempt} by worker {pid}: {why}"
            for task_id, task_runs in sorted(runs.items()) for pid, attempt in task_runs[:-1]
            if (why := why_not_a_kill(task_id, pid))]


def overcharged(attempts: dict[int, int], executions: list[tuple[int, int, int, int]],
                ) -> dict[int, tuple[int, int]]:
    """Tasks charged more attempts than they had executions: (attempts, executions). A kill
    between a task's start and its record may leave one such task per kill and thread;
    nothing else may. (Fewer attempts than executions is never allowed.)"""
    ran: dict[int, int] = defaultdict(int)
    for _, task_id, _, _ in executions:
        ran[task_id] += 1
    return {task_id: (charged, ran[task_id]) for task_id, charged in attempts.items()
            if charged != ran[task_id]}


def duplicates(executions: list[tuple[int, int, int, int]]) -> int:
    seen: dict[int, int] = defaultdict(int)
    for _, task_id, _, _ in executions:
        seen[task_id] += 1
    return sum(1 for count in seen.values() if count > 1)
