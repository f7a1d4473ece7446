"""One Taskdesk per Django database, and Django tasks registered on it as taskdesk tasks.

Django makes a backend object per thread; the desk (its store, its engine's pool, its
registered tasks) is the process's, one per database alias, as Django's own `connections`
are. A Django task is registered when Django builds it (TaskdeskBackend.validate_task, at the
import of its module): under the name `module:function`, the task's action, run by
runs.DjangoTaskRun. Only registered tasks may run (taskdesk's allow-list): the runner's
process registers every installed app's `tasks` module at start-up (apps.py).
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

from taskdesk import Settings, TaskDefinition, Taskdesk
from taskdesk.errors import ConfigError
from taskdesk.models.schedule_rules import Missed, Rule
from taskdesk.schedules.service import Plan

from .database import database_url
from .runs import DjangoTaskRun
from .tasks import DEFAULT_MAX_ATTEMPTS

#: Where a child process (a task with a timeout, a background runner) finds the desk.
APP_PATH = "taskdesk.contrib.django.runtime:desk"
NO_ARGS: dict[str, Any] = {"args": [], "kwargs": {}}  # what a schedule's task is called with


class Desks:
    """The process's desks by database alias, and the Django task behind each action."""

    def __init__(self) -> None:
        self._desks: dict[str, Taskdesk] = {}
        self._tasks: dict[tuple[int, str], Any] = {}  # (desk, action) → the Django task
        self._lock = threading.RLock()

    def desk(self, alias: str, home: str | None = None) -> Taskdesk:
        """The desk on Django's database `alias` (made on first use; nothing is opened)."""
        with self._lock:
            if alias not in self._desks:
                overrides: dict[str, Any] = {"database_url": database_url(alias),
                                             "app": APP_PATH}
                if home:
                    overrides["home"] = Path(home)
                self._desks[alias] = Taskdesk(Settings.from_env(**overrides))
            return self._desks[alias]

    def register(self, desk: Taskdesk, task: Any, *,
                 schedule: bool = True) -> TaskDefinition[..., Any]:
        """The taskdesk definition of a Django task, registered on `desk` the first time;
        with `schedule`, its schedule (cron=, every=) is planned on `desk` too."""
        name = action_of(task)
        with self._lock:
            known = desk.handlers.get(name)
            registered = self._tasks.get((id(desk), name))
            if known is not None and registered is not None and (
                    registered.func is task.func and options(registered) == options(task)):
                return known
            decorator = desk.task(name=name, priority=task.priority, queue=task.queue_name,
                                  timeout=task.timeout, retry_delay=task.retry_delay,
                                  max_attempts=task.max_attempts or DEFAULT_MAX_ATTEMPTS,
                                  process=task.process)
            definition = decorator(_run_class(task))
            self._tasks[id(desk), name] = task
            if schedule and (task.cron or task.every):
                desk.plans[name] = Plan(code=name, action=name, args=dict(NO_ARGS),
                                        rule=Rule.parse(cron=task.cron, every=task.every,
                                                        interval=task.interval),
                                        missed=Missed.parse(task.missed))
            return definition

    def register_all(self, desk: Taskdesk, alias: str) -> None:
        """Every Django task this process knows, registered on `desk` (the backend `alias`'s),
        so that its runner can run any of them that `using(backend=alias)` sent there; their
        schedules stay with their own backends."""
        with self._lock:
            known = {name: task for (_, name), task in self._tasks.items()}
        for task in known.values():
            if task.backend != alias:
                self.register(desk, _on_backend(task, alias), schedule=False)

    def django_task(self, desk: Taskdesk, action: str) -> Any | None:
        """The Django task registered on `desk` under `action`; None for any other task."""
        return self._tasks.get((id(desk), action))


def options(task: Any) -> tuple[object, ...]:
    """A task's taskdesk options (TaskdeskTask's own fields): a change registers it again."""
    return (task.max_attempts, task.retry_delay, task.timeout, task.process, task.cron,
            task.every, task.interval, task.missed)


def action_of(task: Any) -> str:
    """A Django task's name in taskdesk: `module:function`."""
    return f"{task.func.__module__}:{task.func.__qualname__}"


def _on_backend(task: Any, alias: str) -> Any:
    """The task on another backend, as `using(backend=alias)` makes it (unchecked: it was)."""
    moved = copy.copy(task)
    object.__setattr__(moved, "backend", alias)
    return moved


def _run_class(task: Any) -> type[DjangoTaskRun]:
    """DjangoTaskRun for this task, named as its function (so a re-import is the same task)."""
    return type(task.func.__qualname__, (DjangoTaskRun,),
                {"django_task": task, "__module__": task.func.__module__,
                 "__qualname__": task.func.__qualname__})


def runtime_desk(desks: Desks) -> Taskdesk:
    """The desk `manage.py taskdesk` and child processes use: that of the backend named by
    TASKDESK_DJANGO_BACKEND, else of "default" when it is a TaskdeskBackend, else the first."""
    import os

    from django.conf import settings

    from . import compat

    backends = getattr(settings, "TASKS", {}) or {}
    names = [name for name, config in backends.items()
             if str(config.get("BACKEND", "")).startswith("taskdesk.contrib.django")]
    wanted = os.environ.get("TASKDESK_DJANGO_BACKEND") or (
        "default" if "default" in names else (names[0] if names else ""))
    if wanted not in names:
        raise ConfigError(f"no TaskdeskBackend named {wanted or 'in settings.TASKS'}: set "
                          'TASKS = {"default": {"BACKEND": '
                          '"taskdesk.contrib.django.TaskdeskBackend"}}')
    backend = compat.task_backends[wanted]
    desk: Taskdesk = backend.desk
    desks.register_all(desk, wanted)
    return desk


DESKS = Desks()
