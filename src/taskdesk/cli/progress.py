"""A Rich progress bar fed by the runner's hooks, for `taskdesk start` on a terminal."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from taskdesk.app import RunnerHooks
from taskdesk.cli.output import console
from taskdesk.models.tasks import Outcome, Task
from taskdesk.text import visible


class ProgressHooks(RunnerHooks):
    """Advances one bar per finished attempt; the total grows when tasks add tasks."""

    def __init__(self, progress: Progress, expected: int) -> None:
        self.progress = progress
        self.bar = progress.add_task("running tasks", total=max(expected, 1))
        self.done = 0

    def before_task(self, task: Task) -> None:
        self.progress.update(self.bar, description=visible(f"running {task.code}"))

    def after_task(self, task: Task, outcome: Outcome) -> None:
        self.done += 1
        total = self.progress.tasks[0].total or 0
        self.progress.update(self.bar, advance=1, total=max(total, self.done))


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    )
