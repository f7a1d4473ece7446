"""What the chaos run proves, read from the database afterwards: every task complete, none
lost, and every task that ran more than once explained by a kill of the worker running it."""

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
                killed: set[int]) -> list[str]:
    """A task may run again only after a worker was killed while running it: every execution
    but a task's last must be by a killed worker, as that worker's last execution (it ran
    nothing after: it was killed running this one), with that lease recovered in the log."""
    runs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    last_of: dict[int, int] = {}
    for _, task_id, pid, attempt in executions:
        runs[task_id].append((pid, attempt))
        last_of[pid] = task_id
    recovered = set(recoveries)
    return [f"task {task_id} ran again after attempt {attempt} by worker {pid}: "
            f"{_why_not_a_kill(task_id, pid, killed, last_of, recovered)}"
            for task_id, task_runs in sorted(runs.items()) for pid, attempt in task_runs[:-1]
            if _why_not_a_kill(task_id, pid, killed, last_of, recovered)]


def _why_not_a_kill(task_id: int, pid: int, killed: set[int], last_of: dict[int, int],
                    recovered: set[tuple[int, int]]) -> str:
    """Why this execution's repeat is not explained by a kill; empty when it is."""
    if pid not in killed:
        return "that worker was never killed"
    if last_of[pid] != task_id:
        return f"that worker ran task {last_of[pid]} after it (it was not killed running it)"
    if (task_id, pid) not in recovered:
        return "the task log shows no recovery of that worker's lease"
    return ""


def duplicates(executions: list[tuple[int, int, int, int]]) -> int:
    seen: dict[int, int] = defaultdict(int)
    for _, task_id, _, _ in executions:
        seen[task_id] += 1
    return sum(1 for count in seen.values() if count > 1)
