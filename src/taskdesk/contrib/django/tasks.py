"""The Task class of TaskdeskBackend: Django's Task, with taskdesk's options beside it.

    from django.tasks import task          # Django 6 (django_tasks on 5.2 and earlier)

    @task(max_attempts=5, retry_delay=30, timeout=120, queue_name="mail")
    def send_welcome(user_id: int) -> None: ...

    @task(cron="0 3 * * *")                # a schedule: taskdesk adds it every night at 3
    def tidy() -> None: ...

Django passes the decorator's extra keywords to the backend's `task_class`, so these work
only with TaskdeskBackend. None leaves taskdesk's default: one attempt (Django's meaning: a
failure is final) unless `max_attempts` says more.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import compat

DEFAULT_MAX_ATTEMPTS = 1  # Django tasks have no retries unless they ask for them


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskdeskTask(compat.Task):  # type: ignore[misc]
    """A Django Task with taskdesk's options (see taskdesk.Taskdesk.task and .periodic)."""

    max_attempts: int | None = None  # attempts in all, retries included (default 1)
    retry_delay: float | None = None  # seconds before the first retry, then doubling
    timeout: float | None = None  # seconds an attempt may run (in a child process)
    process: bool = False  # run each attempt in a child process even without a timeout
    cron: str | None = None  # a schedule: a cron expression …
    every: str | None = None  # … or a cycle (minute, hour, day, week, month)
    interval: int = 1  # cycles between runs with `every`
    missed: str = "run-once"  # what a schedule does about runs missed while nothing ran
