"""What the chaos run proves, read from the database afterwards: every task complete, none
lost, and every task that ran more than once explained by a kill of the worker holding it.

A worker holds a task from its claim until its outcome is stored: while it runs, and after, until
the worker stores the outcomes of its claim batch together with its next claim (at most
Settings.claim_batch tasks; runner/outcomes.py). A kill in that window loses the outcome, and the
task runs again: the at-least-once that the README documents."""

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
    seconds: float

    def line(self) -> str:
        return (f"chaos {self.backend}: tasks={self.tasks} workers={self.workers} "
                f"kills={self.kills} backends_terminated={self.terminated} "
                f"recovered={self.recovered} executions={self.executions} "
                f"duplicates={self.duplicates} unexplained={len(self.unexplained)} "
                f"lost = {self.lost} ({self.seconds:.1f} s)")


def lost_tasks(statuses: dict[int, str], ran: set[int]) -> list[int]:
    """Tasks that are not complete, or whose completion no execution stands behind."""
    return sorted(t for t, status in statuses.items() if status != "complete" or t not in ran)


def unexplained(executions: list[tuple[int, int, int, int]], recoveries: list[tuple[int, int]],
                killed: set[int], *, held: int) -> list[str]:
    """A task may run again only after a worker was killed while holding it: every execution
    but a task's last must be by a killed worker, among the last `held` tasks that worker ran
    (its last claim batch: it was killed before storing their outcomes), with that lease
    recovered in the log."""
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
        if later >= held:
            return (f"that worker ran {later} tasks after it, more than a claim batch holds "
                    f"({held}): it was not killed holding it")
        if (task_id, pid) not in recovered:
            return "the task log shows no recovery of that worker's lease"
        return ""

    return [f"task {task_id} ran again after attempt {attempt} by worker {pid}: {why}"
            for task_id, task_runs in sorted(runs.items()) for pid, attempt in task_runs[:-1]
            if (why := why_not_a_kill(task_id, pid))]


def duplicates(executions: list[tuple[int, int, int, int]]) -> int:
    seen: dict[int, int] = defaultdict(int)
    for _, task_id, _, _ in executions:
        seen[task_id] += 1
    return sum(1 for count in seen.values() if count > 1)
