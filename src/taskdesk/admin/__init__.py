"""Admin: the admin's services over one Taskdesk, the object the CLI and the web share.

    admin = Admin(desk)
    admin.accounts.add_user("ann", password, role="admin", by=Actor("cli"))
    admin.task_changes.retry(Actor("ann", "10.0.0.7"), [12])
    admin.extensions.install("test_module", by=Actor("ann"))

`Taskdesk` is what an application uses (its tasks, enqueueing, runners, schedules); this is
what an installation's administrators use: extensions (installer, lifecycle), accounts and
their audit log, the login throttle, insights, Run Tasks and the runners, health, the error
log. Every change made for someone (`by=Actor(...)`) writes its own audit entry, in the same
transaction as the change where the change is in the database. Its services are built once
per desk (`Taskdesk.keep`): every Admin of one desk shares them, and they are built afresh
when the desk's settings or store change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from taskdesk.accounts.audit import AuditLog
from taskdesk.accounts.service import Accounts
from taskdesk.accounts.throttle import LoginThrottle
from taskdesk.admin.schedules import ScheduleChanges
from taskdesk.admin.tasks import TaskChanges
from taskdesk.app import Taskdesk
from taskdesk.background import BackgroundRuns
from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.package import Limits, build_package
from taskdesk.extensions.service import Extensions
from taskdesk.health import check_health
from taskdesk.insights import Insights
from taskdesk.models.accounts import Actor
from taskdesk.models.runners import RunnerInfo
from taskdesk.models.tasks import Status, Task
from taskdesk.registry import MAX_PAGE, TaskRegistry
from taskdesk.store import Store
from taskdesk.views import (
    HealthView,
    HostView,
    RunnerView,
    RunStartView,
    WhyView,
    host_views,
    runner_view,
    why_view,
)
from taskdesk.why import Scene, explain

__all__ = ["Actor", "Admin", "LoginThrottle", "ScheduleChanges", "TaskChanges"]

T = TypeVar("T")


class Admin:
    """The admin's services of one installation; views in, views out."""

    def __init__(self, desk: Taskdesk) -> None:
        self.desk = desk

    @property
    def settings(self) -> Settings:
        return self.desk.settings

    def _kept(self, name: str, build: Callable[[], T]) -> T:
        return self.desk.keep(f"admin.{name}", build)

    # -- tasks and runners -----------------------------------------------------------------
    @property
    def task_changes(self) -> TaskChanges:
        """Changes to tasks, each audited in its own transaction (reads: `desk.tasks`)."""
        return self._kept("task_changes", lambda: TaskChanges(self.desk.store, self._registry))

    @property
    def schedule_changes(self) -> ScheduleChanges:
        """The Schedules page: rows with next firings, and the CLI's verbs plus Run now, each
        audited in its own transaction (plain reads: `desk.schedules`)."""
        return self._kept("schedule_changes", lambda: ScheduleChanges(
            self.desk.store, self._registry, self.desk.plans))

    def _registry(self, store: Store) -> TaskRegistry:
        """The desk's registry (its allow-list) on `store`, a change's transaction."""
        handlers = self.desk.handlers
        return TaskRegistry(store, self.settings, gate=handlers.check,
                            check_args=handlers.check_args)

    def why(self, task_id: int) -> WhyView:
        """Why the task is not running: the first reason that holds (taskdesk.why), with
        its facts; TaskNotFound for an unknown id."""
        desk = self.desk
        task = desk.tasks.get(task_id)
        scene = Scene(task=task, store=desk.store, now=desk.now(),
                      lease_seconds=self.settings.lease_seconds,
                      check_action=desk.handlers.check, extension=desk.catalogue.get,
                      app=self.settings.app or desk.import_path())
        return why_view(task, explain(scene))

    def runners(self) -> list[RunnerView]:
        """Runners that registered and have not stopped, each alive if seen within a lease."""
        return [view for _, view in self._runners(self.desk.store.clock())]

    def hosts(self) -> list[HostView]:
        """The hosts runners ran on, each with its runners and health: up, lost (its runners
        stopped heartbeating without a clean stop; shown for HOST_MEMORY_SECONDS after it was
        last seen, or until forgotten) or stopped; and its attempts counted from the log."""
        store = self.desk.store
        now = store.clock()
        return host_views(store.hosts(), self._runners(now), store.host_counts(), now=now)

    def forget_host(self, hostname: str, by: Actor | None = None) -> bool:
        """Stop showing a host (lost or stopped) and its counters; False if unknown. With
        `by`, audited in the same transaction."""
        with self.desk.store.atomic() as store:
            forgot = store.forget_host(hostname)
            if forgot and by is not None:
                AuditLog(store).record(actor=by.name, action="host.forget",
                                       target=hostname, address=by.address)
        return forgot

    def _runners(self, now: datetime) -> list[tuple[RunnerInfo, RunnerView]]:
        store = self.desk.store
        held: dict[str | None, list[Task]] = defaultdict(list)
        for task in self.desk.tasks.list_tasks(status=Status.PROCESSING, limit=MAX_PAGE):
            held[task.worker_id].append(task)
        return [(info, runner_view(info, now=now, lease_seconds=self.settings.lease_seconds,
                                   running=held[info.runner_id])) for info in store.runners()]

    @property
    def background(self) -> BackgroundRuns:
        """Run Tasks for a long-lived process (the admin): never two runners at once."""
        return self._kept("background", lambda: BackgroundRuns(
            self.desk.spawn_runner, self.runners, lambda: self.desk.store))

    def run_tasks(self, by: Actor) -> RunStartView:
        """Run Tasks: start a background runner unless one is working; audited."""
        result = self.background.start()
        self.audit.record(actor=by.name, action="tasks.run", target="runner",
                          detail=result["message"], address=by.address)
        return result

    @property
    def insights(self) -> Insights:
        """The dashboard's and /metrics' counts (status_counts, activity, metrics): views."""
        return self._kept("insights", lambda: Insights(
            self.desk.store, counts_seconds=self.settings.counts_seconds))

    # -- accounts --------------------------------------------------------------------------
    @property
    def accounts(self) -> Accounts:
        """Users, API tokens and sessions of the admin web; returns views."""
        return self._kept("accounts", lambda: Accounts(
            self.desk.store, session_seconds=self.settings.session_seconds))

    @property
    def audit(self) -> AuditLog:
        """The audit log: every change made through the admin, the API or the CLI."""
        return self._kept("audit", lambda: AuditLog(self.desk.store))

    def login_throttle(self) -> LoginThrottle:
        """Failed logins counted in the database; the store opens only when first needed (the
        login page answers with the database down)."""
        return LoginThrottle(lambda: self.desk.store)

    # -- extensions ------------------------------------------------------------------------
    @property
    def extensions(self) -> Extensions:
        """Extensions > Installer and Extensions > Extensions; returns views."""
        return self._kept("extensions", lambda: Extensions(
            self.desk.catalogue, self.installer, self.lifecycle))

    @property
    def installer(self) -> Installer:
        return self._kept("installer", lambda: Installer(
            self.settings, self.desk.catalogue, self.desk.store, lifecycle=self.lifecycle))

    @property
    def lifecycle(self) -> Lifecycle:
        """Its hooks' child loads this application (`app`), so that it knows the same
        registered tasks as this process when install() adds one."""
        def build() -> Lifecycle:
            desk = self.desk
            app = self.settings.app or desk.import_path() or ""
            return Lifecycle(desk.catalogue, desk.loader, desk.store,
                             self.settings.evolve(app=app), desk.error_log,
                             check_action=desk.handlers.check,
                             check_args=desk.handlers.check_args, app_class=Taskdesk)
        return self._kept("lifecycle", build)

    def build_package(self, folder: Path, output_dir: Path) -> Path:
        """Zip an extension's folder into a checked package (no database needed)."""
        return build_package(folder, output_dir, Limits.from_settings(self.settings))

    # -- the installation ------------------------------------------------------------------
    def health(self) -> HealthView:
        """/healthz: the database answers now and has the schema this taskdesk needs."""
        return check_health(lambda: self.desk.store)

    @property
    def error_log(self) -> ErrorLog:
        """What tasks write with self.log.write() (System > Maintenance > Error logs)."""
        return self.desk.error_log

    def clear_error_log(self, by: Actor | None = None) -> int:
        """Delete every host's error log lines and empty this host's file; with `by`,
        audited (its entry follows the change). Returns how many lines were stored."""
        cleared = self.error_log.clear()
        if by is not None:
            self.audit.record(actor=by.name, action="error_log.clear",
                              target=f"{cleared} lines", address=by.address)
        return cleared
