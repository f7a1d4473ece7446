"""Controller: the base class of task controllers and extension modules, as in OpenCart.

    class Task(Controller):
        def index(self) -> None:
            self.log.write("My task has successfully started!")

A controller gets what OpenCart's registry gives: `self.log` (the error log), `self.tasks`
(the task registry, so that a task may add tasks), `self.config` (the settings), and, while
it runs a task, `self.task` (that task's row, with its id and attempt number) and
`self.progress(percent, message)` (see task_progress.py) and `self.cancelled()`, True once the
task is cancelled (see task_cancel.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.models.tasks import Task
from taskdesk.registry import TaskRegistry
from taskdesk.task_cancel import CancelSignal
from taskdesk.task_progress import ProgressReporter, report

#: What a runner calls with a task's args: a function, or a controller's bound method.
Handler = Callable[..., object]


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a controller is built with."""

    tasks: TaskRegistry
    log: ErrorLog
    config: Settings
    task: Task | None = None
    #: Where the running attempt's progress goes; None outside a runner.
    progress: ProgressReporter | None = None
    #: Raised when the running attempt is cancelled; None outside a runner.
    cancel: CancelSignal | None = None


class Controller:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.tasks = context.tasks
        self.log = context.log
        self.config = context.config
        self.task = context.task
        #: True once the running task is cancelled (call it, or test it): stop cleanly.
        self.cancelled = CancelSignal() if context.cancel is None else context.cancel

    def progress(self, percent: float, message: str = "") -> None:
        """Report how far the running task is: `percent` from 0 to 100 and an optional short
        message, shown while it runs. Outside a runner it only checks the values; a value
        that is not a percent raises BadProgress."""
        report(self.context.progress, percent, message)
