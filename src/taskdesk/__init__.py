"""taskdesk: background tasks for Python applications with plug-in extensions."""

from __future__ import annotations

from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.controller import Context, Controller
from taskdesk.definitions import TaskDefinition
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import TaskdeskError
from taskdesk.models.tasks import LogEntry, NewTask, Outcome, Status, Task
from taskdesk.registry import TaskRegistry
from taskdesk.runner import RunnerHooks, RunStats
from taskdesk.task_cancel import cancelled
from taskdesk.task_progress import progress
from taskdesk.workflows import parent_results

__all__ = [
    "Context",
    "Controller",
    "ErrorLog",
    "LogEntry",
    "NewTask",
    "Outcome",
    "RunStats",
    "RunnerHooks",
    "Settings",
    "Status",
    "Task",
    "TaskDefinition",
    "TaskRegistry",
    "Taskdesk",
    "TaskdeskError",
    "cancelled",
    "parent_results",
    "progress",
]
__version__ = "0.1.0"
