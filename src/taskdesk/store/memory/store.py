"""MemoryStore: the reference implementation of the Store verbs, in plain Python.

It passes the same contract suite as the SQL stores, so it documents the semantics in their
simplest form, and extension authors can test tasks with it without a database. Its verbs are
one class per story, as the SQL store's are: the registry (tasks.py), the claim, the lease and
the end of an attempt (claims.py), the admin's bulk changes (admin.py), the task log
(log.py), runners and their hosts (hosts.py), paused queues (queues.py), the cancel
(cancels.py); here are installed
modules and the store's lifetime. (The SQL stores' `delayed` column is an index's business,
never visible in a verb's result: here a claim simply looks at every task's run_at.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from taskdesk.clock import Clock, utcnow
from taskdesk.models.tasks import InstalledModule
from taskdesk.store.memory.accounts import MemoryAccountStore
from taskdesk.store.memory.admin import MemoryAdminVerbs
from taskdesk.store.memory.cancels import MemoryCancelStore
from taskdesk.store.memory.claims import MemoryClaimVerbs
from taskdesk.store.memory.error_lines import MemoryErrorLineStore
from taskdesk.store.memory.failures import MemoryFailureStore
from taskdesk.store.memory.hosts import MemoryHostVerbs
from taskdesk.store.memory.limits import MemoryLimitStore
from taskdesk.store.memory.log import MemoryLogVerbs
from taskdesk.store.memory.packages import MemoryPackageStore
from taskdesk.store.memory.queues import MemoryQueueStore
from taskdesk.store.memory.schedules import MemoryScheduleStore
from taskdesk.store.memory.tasks import MemoryTaskVerbs
from taskdesk.store.memory.workflows import MemoryWorkflowStore
from taskdesk.store.notify import WakeAddress


class MemoryStore(MemoryTaskVerbs, MemoryClaimVerbs, MemoryAdminVerbs, MemoryLogVerbs,
                  MemoryHostVerbs):
    def __init__(self, *, clock: Clock = utcnow) -> None:
        super().__init__(clock)
        self.accounts = MemoryAccountStore(lambda: self.clock(), self._lock)
        self.schedules = MemoryScheduleStore(self, self._lock)
        self.packages = MemoryPackageStore(lambda: self.clock(), self._lock)
        self.error_lines = MemoryErrorLineStore(lambda: self.clock(), self._lock)
        self.queues = MemoryQueueStore(self, self._lock)
        self.cancels = MemoryCancelStore(self, self._lock)
        self.error_classes = MemoryFailureStore(self, self._lock)
        self.workflows = MemoryWorkflowStore(self, self._lock)
        self.limits = MemoryLimitStore(self, self._lock)

    def clock_offset(self) -> float:
        """The store's clock is this machine's."""
        return 0.0

    def wake_address(self) -> WakeAddress:
        """Nowhere: a memory store's runners poll."""
        return None

    # -- extensions -----------------------------------------------------------------------
    def installed_modules(self, extension: str | None = None) -> list[InstalledModule]:
        with self._lock:
            return [m for m in self._modules if extension in (None, m.extension)]

    def mark_installed(self, extension: str, type_: str, code: str) -> bool:
        with self._lock:
            if self._find_module(extension, type_, code) is not None:
                return False
            self._modules.append(InstalledModule(extension=extension, type=type_, code=code,
                                                 date_added=self.clock()))
            return True

    def mark_uninstalled(self, extension: str, type_: str, code: str) -> bool:
        with self._lock:
            found = self._find_module(extension, type_, code)
            if found is not None:
                self._modules.remove(found)
            return found is not None

    def _find_module(self, extension: str, type_: str, code: str) -> InstalledModule | None:
        return next((m for m in self._modules
                     if (m.extension, m.type, m.code) == (extension, type_, code)), None)

    # -- lifetime -----------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[MemoryStore]:
        with self._lock:
            saved = (dict(self._tasks), list(self._log), dict(self._folded),
                     dict(self._runners), list(self._modules), self._next_task_id,
                     self._next_log_id, dict(self._hosts))
            accounts, schedules = self.accounts.snapshot(), self.schedules.snapshot()
            packages = self.packages.snapshot()
            error_lines, queues = self.error_lines.snapshot(), self.queues.snapshot()
            workflows = self.workflows.snapshot()
            limits = self.limits.snapshot()
            try:
                yield self
            except BaseException:
                self.accounts.restore(accounts)
                self.schedules.restore(schedules)
                self.packages.restore(packages)
                self.error_lines.restore(error_lines)
                self.queues.restore(queues)
                self.workflows.restore(workflows)
                self.limits.restore(limits)
                (self._tasks, self._log, self._folded, self._runners, self._modules,
                 self._next_task_id, self._next_log_id, self._hosts) = saved
                raise

    def close(self) -> None:
        """Nothing to release."""
