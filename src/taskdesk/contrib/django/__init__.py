"""taskdesk as Django's task backend (docs/django.md).

    INSTALLED_APPS += ["taskdesk.contrib.django"]
    TASKS = {"default": {"BACKEND": "taskdesk.contrib.django.TaskdeskBackend"}}

Works with Django 6's `django.tasks` and with the `django-tasks` backport (Django 4.2-5.2).
"""

from __future__ import annotations

from typing import Any

__all__ = ["TaskdeskBackend", "TaskdeskTask"]


def __getattr__(name: str) -> Any:
    """The backend is imported when Django asks for it, not when INSTALLED_APPS is read."""
    if name == "TaskdeskBackend":
        from .backend import TaskdeskBackend

        return TaskdeskBackend
    if name == "TaskdeskTask":
        from .tasks import TaskdeskTask

        return TaskdeskTask
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
