"""Taskdesk: the front door of an application (its admin's is taskdesk.admin). The CLI and
the web import these two, taskdesk.views and the bottom layers (models, errors, clock, text,
config), nothing else.

    desk = Taskdesk()                      # settings from TASKDESK_*; no database touched yet

    @desk.task(max_attempts=5)
    def send_welcome(user_id: int) -> None: ...

    send_welcome.enqueue(user_id=42)       # opens the store on first use
    desk.tasks.list_tasks(status="pending")
    desk.queues.pause("mail")              # its tasks wait until desk.queues.resume("mail")
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, cast, overload

from taskdesk.app_path import import_path_of
from taskdesk.app_path import load_app as load_application
from taskdesk.config import Settings
from taskdesk.controller import Context, Controller
from taskdesk.definitions import Limits, TaskDecorator, TaskDefinition, TaskOptions
from taskdesk.errorlog import ErrorLog, error_log_of
from taskdesk.errors import ConfigError
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.extensions.packages import Packages
from taskdesk.handlers import Handlers
from taskdesk.models.queues import DEFAULT_QUEUE, QueueLimit, check_queue, queue_limits
from taskdesk.preflight import check_schema, make_folders, refuse_strangers
from taskdesk.queues import Queues
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner, RunnerHooks, RunStats
from taskdesk.runner.shutdown import leave_without_stray_threads, on_stop
from taskdesk.runner.spawn import spawn_start
from taskdesk.schedules.periodic import PeriodicDecorator, periodic_decorator
from taskdesk.schedules.service import Plan, Schedules
from taskdesk.store import SqlStore, Store, open_store
from taskdesk.store.sql import SCHEMA_HEAD, describe, upgrade
from taskdesk.views import DatabaseView
from taskdesk.workflows import Workflow, Workflows

__all__ = ["ErrorLog", "RunStats", "RunnerHooks", "TaskRegistry", "Taskdesk",
           "leave_without_stray_threads", "load_app", "on_stop"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

#: Objects built from the settings, dropped when `configure()` changes them.
_BUILT_FROM_SETTINGS = ("tasks", "schedules", "queues", "error_log", "catalogue", "loader",
                        "resolver")


class Taskdesk:
    """What an application uses: settings, a store opened on first use, its registered tasks,
    the task registry, schedules and runners. What administrators use (extensions, accounts,
    audit, insights, Run Tasks, health) is taskdesk.admin.Admin, built from a Taskdesk."""

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None,
                 **overrides: Any) -> None:
        """Settings come from TASKDESK_* variables, or `settings`; keyword arguments such as
        `database_url=` or `home=` override them. Nothing is opened here."""
        if settings is None:
            settings = Settings.from_env(**overrides)
        elif overrides:
            settings = settings.evolve(**overrides)
        self.settings = settings
        self._store = store
        self._opening = threading.Lock()
        self.handlers = Handlers(self)
        self.plans: dict[str, Plan] = {}  # schedules defined in code (@desk.periodic)
        self._kept: dict[str, object] = {}

    def configure(self, **overrides: Any) -> None:
        """Change settings before the store opens (the CLI's flags over an app's desk)."""
        changes = {key: value for key, value in overrides.items()
                   if value is not None and value != getattr(self.settings, key)}
        if not changes:
            return
        if self._store is not None:
            raise ConfigError("a Taskdesk's settings cannot change once its database is open")
        self.settings = self.settings.evolve(**changes)
        self._drop_built()

    # -- the store ------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store, opened (and its schema checked) on first use."""
        return self._store or self.open_store()

    def open_store(self, *, connections: int | None = None) -> Store:
        """Open the store now (if it is not open), its schema checked; `connections` is how
        many a PostgreSQL pool keeps (a worker: its threads plus two)."""
        with self._opening:
            if self._store is None:
                self._store = self._open_store(create=False, connections=connections)
        return self._store

    def _open_store(self, *, create: bool, connections: int | None = None) -> SqlStore:
        store = open_store(self.settings.database_url, create=create, pool_size=connections,
                           add_wait_seconds=self.settings.add_wait_seconds,
                           lease_seconds=self.settings.lease_seconds)
        try:
            if create:
                refuse_strangers(store)
                upgrade(store)
            else:
                check_schema(store)
        except BaseException:
            store.close()
            raise
        return store

    def init(self) -> DatabaseView:
        """Create the data folders, and create or upgrade the schema (`taskdesk init`, or an
        application before its first enqueue); returns where the data lives."""
        make_folders((self.settings.home, self.settings.logs_dir,
                      self.settings.extensions_dir, self.settings.packages_dir),
                     home=self.settings.home)
        with self._opening:
            if self._store is None:
                self._store = self._open_store(create=True)
            elif isinstance(self._store, SqlStore):
                refuse_strangers(self._store)
                upgrade(self._store)
        self.schedules.sync()
        store = self._store
        name = describe(store.engine.url) if isinstance(store, SqlStore) else "memory"
        return DatabaseView(database=name, schema=SCHEMA_HEAD, home=str(self.settings.home))

    def keep(self, name: str, build: Callable[[], T]) -> T:
        """The object `build()` makes from this desk's settings and store, made once and
        dropped when they change (configure, close, a swapped store): how every
        taskdesk.admin.Admin of this desk shares one set of services."""
        if name not in self._kept:
            self._kept[name] = build()
        return cast(T, self._kept[name])

    def _drop_built(self) -> None:
        for name in _BUILT_FROM_SETTINGS:
            self.__dict__.pop(name, None)
        self._kept.clear()

    def _swap(self, store: Store | None, settings: Settings) -> tuple[Store | None, Settings]:
        """Put another store and settings in place (taskdesk.testing); returns the previous
        ones, the store left open."""
        previous = (self._store, self.settings)
        self._store, self.settings = store, settings
        self._drop_built()
        return previous

    # -- tasks ----------------------------------------------------------------------------
    @overload
    def task(self, target: type[Controller], /) -> TaskDefinition[..., Any]: ...

    @overload
    def task(self, target: Callable[P, R], /) -> TaskDefinition[P, R]: ...

    @overload
    def task(self, /, *, name: str | None = None, max_attempts: int | None = None,
             priority: int = 0, retry_delay: float | None = None,
             queue: str = DEFAULT_QUEUE, timeout: float | None = None,
             process: bool = False, concurrency_limit: int | None = None,
             rate_limit: str | None = None, limit_key: str | None = None,
             ) -> TaskDecorator: ...

    def task(self, target: Any = None, /, *, name: str | None = None,
             max_attempts: int | None = None, priority: int = 0,
             retry_delay: float | None = None, queue: str = DEFAULT_QUEUE,
             timeout: float | None = None, process: bool = False,
             concurrency_limit: int | None = None, rate_limit: str | None = None,
             limit_key: str | None = None) -> Any:
        """Register a function or Controller subclass as a task, under `name` (default
        `module:qualname`, which is also its action); returns its TaskDefinition. (Type
        checkers do not see class decorators: write `report = desk.task(Report)` to have
        `report.enqueue` checked.) With `timeout` (seconds) each attempt runs in a child
        process that is killed past it; 0 runs it in the runner's thread. With `process=True`
        each attempt runs in a child process even without a timeout: for CPU-bound tasks and
        any that hold the GIL, which would stall the runner's heartbeats in its thread.
        `concurrency_limit=N` / `rate_limit="N/s|m|h"`: at most N of its tasks run at once /
        start per period, per value of the argument `limit_key` (or per definition without
        it), on every runner of the database (docs/queues.md)."""
        decorator = TaskDecorator(self, self.handlers.register,
                                  TaskOptions(priority=priority, max_attempts=max_attempts,
                                              queue_name=check_queue(queue)),
                                  name=name, retry_delay=retry_delay, timeout=timeout,
                                  process=process, limits=Limits(concurrency_limit,
                                                                 rate_limit, limit_key))
        return decorator if target is None else decorator(target)

    @cached_property
    def tasks(self) -> TaskRegistry:
        """OpenCart's task registry (add, delete_by_code, list_tasks, …), with the allow-list."""
        return TaskRegistry(self.store, self.settings, gate=self.handlers.check,
                            check_args=self.handlers.check_args)

    def periodic(self, *, cron: str | None = None, every: str | None = None, interval: int = 1,
                 missed: str = "run-once", name: str | None = None) -> PeriodicDecorator:
        """Register a function as a task that a schedule adds by `cron` expression or
        `every` cycle (minute … month, `interval` apart); see taskdesk.schedules."""
        return periodic_decorator(self.task(name=name), self.plans, cron=cron, every=every,
                                  interval=interval, missed=missed)

    @cached_property
    def schedules(self) -> Schedules:
        """Recurring schedules (add, list, show, delete, enable, disable): views."""
        return Schedules(self.store, self.tasks, self.plans)

    @cached_property
    def queues(self) -> Queues:
        """The named queues: pause(name), resume(name), list(); a pause is obeyed by every
        runner's claim (see taskdesk.queues)."""
        return Queues(self.store, lease_seconds=self.settings.lease_seconds)

    def workflow(self, name: str) -> Workflow:
        """A new workflow: add tasks with `after`, then enqueue it (see taskdesk.workflows)."""
        return Workflow(name, registry=self.tasks, store=self.store)

    @property
    def workflows(self) -> Workflows:
        """The stored workflows: list() and get(workflow_id)."""
        return Workflows(self.store)

    def context(self) -> Context:
        """What a Controller is built with outside a runner."""
        return Context(tasks=self.tasks, log=self.error_log, config=self.settings)

    def is_installed(self, extension: str) -> bool:
        return bool(self.store.installed_modules(extension))

    # -- runners --------------------------------------------------------------------------
    def runner(self, hooks: RunnerHooks | None = None,
               queues: Iterable[str | QueueLimit] = ()) -> Runner:
        """A runner; with `queues` (names, or `NAME:N` to run at most N of that queue's
        tasks at once) it claims only from them, else from every queue."""
        app = self.settings.app or self.import_path() or ""  # what a task's child imports
        return Runner(self.store, self.settings.evolve(app=app), resolver=self.handlers,
                      hooks=hooks,
                      registry=self.tasks, schedules=self.schedules,
                      queues=queue_limits(queues), app_class=Taskdesk)

    def now(self) -> datetime:
        """The store's time (the database server's, on PostgreSQL)."""
        return self.store.clock()

    def run_in_background(self) -> int:
        """Start `taskdesk start` detached (OpenCart's Run Tasks); returns its pid at once.
        It loads the same application, so it knows the same registered tasks."""
        return self.spawn_runner().pid

    def spawn_runner(self) -> subprocess.Popen[bytes]:
        """run_in_background()'s process (the admin's Run Tasks watches it)."""
        self.store  # noqa: B018 (refuse now, not in the detached runner's log)
        app = self.settings.app or self.import_path() or ""
        if not app and self.handlers.names():
            raise ConfigError("the background runner could not find this application's "
                              "tasks: define the Taskdesk in an importable module (not a "
                              "script run as __main__), or set TASKDESK_APP=module:attribute")
        return spawn_start(self.settings.evolve(app=app))

    def import_path(self) -> str | None:
        """`module:attribute` under which this desk can be imported; None when it cannot."""
        return import_path_of(self)

    # -- the error log and extensions' code (what tasks need to run) -------------------
    @cached_property
    def error_log(self) -> ErrorLog:
        """What tasks write with self.log.write(): the installation's lines, in the store."""
        return error_log_of(self.settings, lambda: self.store)

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.settings.extensions_dir,
                         sync=Packages(lambda: self.store, self.settings))

    @cached_property
    def loader(self) -> ControllerLoader:
        return ControllerLoader(self.catalogue.locate)

    @cached_property
    def resolver(self) -> Resolver:
        return Resolver(self.loader)

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the store; the desk opens it again on next use, with fresh objects."""
        if self._store is not None:
            self._store.close()
            self._store = None
        self._drop_built()

    def __enter__(self) -> Taskdesk:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def load_app(path: str) -> Taskdesk:
    """The Taskdesk at `module:attribute` (TASKDESK_APP, `--app`)."""
    return load_application(path, Taskdesk)

