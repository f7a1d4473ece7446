"""Django's task framework, wherever it lives: `django.tasks` (Django 6, Python 3.12+) or the
`django-tasks` backport (module `django_tasks`, Django 4.2-5.2). Everything else in
taskdesk.contrib.django takes these names from here, so one backend serves both. (Django has
no type hints: the names are typed Any, here once.)"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


def _framework() -> str:
    try:
        importlib.import_module("django.tasks")
    except ImportError:  # Django before 6: the backport
        return "django_tasks"
    return "django.tasks"


FRAMEWORK = _framework()


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{FRAMEWORK}{name}")


def _json_module() -> ModuleType:
    return importlib.import_module("django.utils.json" if FRAMEWORK == "django.tasks"
                                   else "django_tasks.utils")


def _invalid_task(exceptions: ModuleType) -> Any:
    """InvalidTask (named InvalidTaskError in the backport's 0.12 release)."""
    found = getattr(exceptions, "InvalidTask", None)
    return found if found is not None else exceptions.InvalidTaskError


_tasks, _base, _exceptions, _signals = (_module(""), _module(".base"), _module(".exceptions"),
                                        _module(".signals"))

DEFAULT_TASK_QUEUE_NAME: str = _tasks.DEFAULT_TASK_QUEUE_NAME
BaseTaskBackend: Any = _module(".backends.base").BaseTaskBackend
Task: Any = _base.Task
TaskContext: Any = _base.TaskContext
TaskError: Any = _base.TaskError
TaskResult: Any = _base.TaskResult
TaskResultStatus: Any = _base.TaskResultStatus
task_backends: Any = _tasks.task_backends
InvalidTask: Any = _invalid_task(_exceptions)
TaskResultDoesNotExist: Any = _exceptions.TaskResultDoesNotExist
TaskResultMismatch: Any = _exceptions.TaskResultMismatch
task_enqueued: Any = _signals.task_enqueued
task_started: Any = _signals.task_started
task_finished: Any = _signals.task_finished
_normalize_json = _json_module().normalize_json


def json_value(value: Any) -> Any:
    """`value` as Django keeps a task's arguments and return value (tuples become lists,
    bytes text); TypeError or ValueError when JSON cannot hold it."""
    return _normalize_json(value)
