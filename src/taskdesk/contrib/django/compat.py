"""Django's task framework, wherever it lives: `django.tasks` (Django 6, Python 3.12+) or the
`django-tasks` backport (module `django_tasks`, Django 4.2-5.2). Everything else in
taskdesk.contrib.django imports these names from here, so one backend serves both."""

from __future__ import annotations

from typing import Any

try:
    from django.tasks import (
        DEFAULT_TASK_QUEUE_NAME,
        Task,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        task_backends,
    )
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import TaskError
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
    from django.tasks.signals import task_enqueued, task_finished, task_started
    from django.utils.json import normalize_json

    FRAMEWORK = "django.tasks"
except ImportError:  # Django before 6: the backport
    from django_tasks import (  # type: ignore[no-redef]
        DEFAULT_TASK_QUEUE_NAME,
        TaskContext,
        TaskResult,
        TaskResultStatus,
        task_backends,
    )
    from django_tasks.backends.base import BaseTaskBackend  # type: ignore[no-redef]
    from django_tasks.base import Task, TaskError  # type: ignore[no-redef]
    from django_tasks import exceptions as _exceptions
    from django_tasks.exceptions import TaskResultDoesNotExist  # type: ignore[no-redef]
    from django_tasks.signals import (  # type: ignore[no-redef]
        task_enqueued,
        task_finished,
        task_started,
    )
    from django_tasks.utils import normalize_json  # type: ignore[no-redef]

    InvalidTask = getattr(_exceptions, "InvalidTask", None) or getattr(  # renamed in 0.12
        _exceptions, "InvalidTaskError")
    FRAMEWORK = "django_tasks"

__all__ = ["DEFAULT_TASK_QUEUE_NAME", "FRAMEWORK", "BaseTaskBackend", "InvalidTask", "Task",
           "TaskContext", "TaskError", "TaskResult", "TaskResultDoesNotExist",
           "TaskResultStatus", "json_value", "task_backends", "task_enqueued", "task_finished",
           "task_started"]


def json_value(value: Any) -> Any:
    """`value` as Django keeps a task's arguments and return value (tuples become lists,
    bytes text); TypeError or ValueError when JSON cannot hold it."""
    return normalize_json(value)
