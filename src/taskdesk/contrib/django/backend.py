"""TaskdeskBackend: Django's task backend that keeps its tasks in taskdesk.

    TASKS = {"default": {"BACKEND": "taskdesk.contrib.django.TaskdeskBackend"}}

OPTIONS: "DATABASE" (the Django database alias taskdesk keeps its tables in, default
"default") and "HOME" (taskdesk's data folder, default TASKDESK_HOME). QUEUES limits the
queue names tasks may use, as Django's own backends do.

An enqueue inside `transaction.atomic()` on that database is written in its transaction: a
rollback leaves no task, a commit makes it visible to runners (docs/django.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from taskdesk import TaskDefinition, Taskdesk
from taskdesk.errors import ConfigError, TaskdeskError
from taskdesk.models.queues import check_queue

from . import compat
from .database import database_url, joined_connection
from .desks import DESKS
from .results import task_result
from .runs import LOG_PAGE
from .tasks import TaskdeskTask

PRIORITY = (-100, 100)  # Django's; taskdesk's runs higher first too, so it is kept as is


class TaskdeskBackend(compat.BaseTaskBackend):  # type: ignore[misc]
    """Django's BaseTaskBackend on taskdesk: results, priorities, run_after, async tasks."""

    task_class = TaskdeskTask
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.database: str = self.options.get("DATABASE", "default")
        self.home: str | None = self.options.get("HOME")

    @property
    def desk(self) -> Taskdesk:
        """The process's desk on this backend's database."""
        return DESKS.desk(self.database, self.home)

    def validate_task(self, task: Any) -> None:
        """Django's checks, then taskdesk's (queue names, options); registers the task."""
        super().validate_task(task)
        if not isinstance(task, TaskdeskTask):
            raise compat.InvalidTask(f"TaskdeskBackend runs its own Task class, not "
                                     f"{type(task).__name__}")
        try:
            check_queue(task.queue_name)
            self.definition(task)
        except TaskdeskError as error:
            raise compat.InvalidTask(str(error)) from None

    def definition(self, task: Any) -> TaskDefinition[..., Any]:
        """The taskdesk definition that runs this Django task."""
        return DESKS.register(self.desk, task)

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        """Add the task (in the open atomic() block's transaction, if any); send
        task_enqueued; return its TaskResult, READY."""
        self.validate_task(task)
        call = {"args": compat.json_value(list(args)), "kwargs": compat.json_value(dict(kwargs))}
        definition = self.definition(task).using(
            priority=task.priority, queue_name=task.queue_name,
            run_after=_aware(task.run_after), connection=joined_connection(self.database))
        row = definition.enqueue(**call)
        result = task_result(task, row, [], backend=self.alias)
        compat.task_enqueued.send(type(self), task_result=result)
        return result

    def check(self, **kwargs: Any) -> list[Any]:
        """Django's system checks (`manage.py check`): a database taskdesk cannot use is an
        error; PostgreSQL without psycopg 3 a warning (atomic() enqueues need it)."""
        from django.core import checks

        try:
            url = database_url(self.database)
        except ConfigError as error:
            return [checks.Error(str(error), obj=self.alias, id="taskdesk.E001")]
        if url.startswith("postgresql") and not _psycopg3():
            return [checks.Warning(
                "taskdesk enqueues inside transaction.atomic() through psycopg 3; Django uses "
                "psycopg2 here", hint="pip install 'psycopg[binary]'", obj=self.alias,
                id="taskdesk.W001")]
        return []

    def get_result(self, result_id: str) -> Any:
        """The TaskResult of a task this backend enqueued; TaskResultDoesNotExist else."""
        desk = self.desk
        try:
            row = desk.tasks.get(int(result_id))
        except (TaskdeskError, TypeError, ValueError):  # not a number, none such
            raise compat.TaskResultDoesNotExist(result_id) from None
        task = DESKS.django_task(desk, row.action)
        if task is None:  # a task that no Django task of this database added
            raise compat.TaskResultDoesNotExist(result_id)
        log = desk.tasks.log(task_id=row.task_id, limit=LOG_PAGE)
        return task_result(task, _within(row), log, backend=self.alias)


def _psycopg3() -> bool:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return bool(is_psycopg3)


def _aware(moment: datetime | None) -> datetime | None:
    """run_after as taskdesk takes it: aware (a naive time is Django's current zone's)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    from django.utils import timezone

    aware: datetime = timezone.make_aware(moment)
    return aware


def _within(row: Any) -> Any:
    """A task whose priority another client set beyond Django's bounds, shown within them."""
    low, high = PRIORITY
    if low <= row.priority <= high:
        return row
    from dataclasses import replace

    return replace(row, priority=max(low, min(high, row.priority)))
