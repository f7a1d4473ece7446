"""Install and uninstall an extension's modules: all or nothing, idempotent, symmetric.

install() runs each module's `install()` inside one database transaction, with `self.tasks`
bound to it: if any raises, the transaction rolls back, so no task it added stays and no
module is marked installed. uninstall() does the same with `uninstall()`. The audit row of the
change, when the caller names who asked, is written in that same transaction. A module that is
already installed (or not installed) is skipped, so running either twice changes nothing.

On a store another process can open (SQLite, PostgreSQL), install() and uninstall() run all of
that in a child process (hook_process.py): a package's code cannot stop the admin or the CLI
that asked, and whatever it does, the transaction commits whole in the child or not at all.
upgrading() runs the new version's `upgrade(from_version)` of each installed module in this
process, and keeps the transaction open while the installer switches to the new files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from taskdesk.accounts.audit import AuditLog
from taskdesk.app_path import Application
from taskdesk.config import Settings
from taskdesk.controller import Context
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import BadAction, ExtensionError, ExtensionNotFound
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.hook_process import (
    HOOK_SECONDS,
    HookDone,
    HookJob,
    HookUnfinished,
    Verb,
    portable_clock,
    run_job,
)
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.extensions.manifest import unmet_requirements
from taskdesk.extensions.packages import put
from taskdesk.extensions.upgrade_process import upgrade_in_child
from taskdesk.models.accounts import Actor
from taskdesk.models.actions import class_name_of, parse_action
from taskdesk.models.extensions import Extension, ModuleRef, NewPackage
from taskdesk.registry import ArgsCheck, Gate, TaskRegistry
from taskdesk.resolve import controller_class
from taskdesk.store import SqlStore, Store
from taskdesk.text import error_text


@dataclass(frozen=True)
class Lifecycle:
    """Extensions > Extensions: runs modules' install() and uninstall(), records the state."""

    catalogue: Catalogue
    loader: ControllerLoader
    store: Store
    settings: Settings
    error_log: ErrorLog
    #: The allow-list (handlers.Handlers.check) for tasks that install() adds; it lets the
    #: extension being installed add its own routes.
    check_action: Callable[..., object] | None = None
    #: A registered task's args against its signature (handlers.Handlers.check_args).
    check_args: ArgsCheck | None = None
    #: Run install() and uninstall() in a child process when the store allows it (False:
    #: in this one; the child itself, or a test that means to).
    isolate_hooks: bool = True
    #: How long the child may take, in seconds, before it is killed.
    hook_seconds: float = HOOK_SECONDS
    #: The application's class (taskdesk.app.Taskdesk), which the child opens again to check
    #: actions as this process does; needed when `check_action` is given.
    app_class: type[Application] | None = None

    def evolve(self, **changes: Any) -> Lifecycle:
        return replace(self, **changes)

    def install(self, code: str, module: str | None = None, *,
                audit: Actor | None = None) -> list[ModuleRef]:
        """Install the extension's modules (or one, `type/code`); returns those newly done.
        With `audit`, the audit row is written in the change's transaction."""
        job = self._job("install", code, module, audit)
        if job is not None:
            return self._in_child(job).modules
        return self.install_here(code, module, audit)

    def install_here(self, code: str, module: str | None = None,
                     audit: Actor | None = None) -> list[ModuleRef]:
        """install() in this process."""
        extension = self._usable(code)
        unmet = unmet_requirements(extension.manifest)
        if unmet:
            raise ExtensionError(f"extension {code!r} needs {', '.join(unmet)}: install "
                                 f"{'it' if len(unmet) == 1 else 'them'} first")
        done = self.installed(code)
        todo = [ref for ref in _chosen(code, extension.modules, module) if ref not in done]
        return self._run(extension, todo, "install", lambda store, ref: store.mark_installed(
            code, ref.type, ref.code), audit=audit)

    def uninstall(self, code: str, module: str | None = None) -> list[ModuleRef]:
        """Uninstall the extension's installed modules (or one); returns those undone."""
        return self.uninstall_counting_tasks(code, module)[0]

    def uninstall_counting_tasks(self, code: str, module: str | None = None, *,
                                 audit: Actor | None = None,
                                 ) -> tuple[list[ModuleRef], int]:
        """Uninstall; once no module of the extension is left installed, its waiting tasks
        (those it added, and those that run its routes) go in the same transaction. Returns
        the modules undone and how many tasks went. A module whose file an upgrade removed
        is forgotten without calling anything."""
        job = self._job("uninstall", code, module, audit)
        if job is not None:
            done = self._in_child(job)
            return done.modules, done.tasks_deleted
        return self.uninstall_here(code, module, audit)

    def uninstall_here(self, code: str, module: str | None = None,
                       audit: Actor | None = None) -> tuple[list[ModuleRef], int]:
        """uninstall_counting_tasks() in this process."""
        extension = self._usable(code)
        done = self.installed(code)
        known = sorted(set(extension.modules) | done)
        todo = [ref for ref in _chosen(code, known, module) if ref in done]
        deleted: list[int] = []

        def forget_tasks(store: Store) -> None:
            if not store.installed_modules(code):
                deleted.append(store.delete_extension_tasks(code))

        undone = self._run(extension, todo, "uninstall", lambda store, ref: (
            store.mark_uninstalled(code, ref.type, ref.code)), after=forget_tasks,
            audit=audit, deleted=deleted)
        return undone, sum(deleted)

    def _in_child(self, job: HookJob) -> HookDone:
        """run_job(); when the child ended without a word, the modules' state tells whether
        its transaction had committed (it commits whole or not at all)."""
        before = self.installed(job.code)
        try:
            return run_job(job, seconds=self.hook_seconds)
        except HookUnfinished as error:
            stored = self.installed(job.code) != before
            raise HookUnfinished(error.message + (", after its change was stored" if stored
                                                  else "; nothing was changed")) from None

    def _job(self, verb: Verb, code: str, module: str | None,
             audit: Actor | None) -> HookJob | None:
        """The child's job, or None where the hooks run here (an in-memory store)."""
        if not self.isolate_hooks or not isinstance(self.store, SqlStore):
            return None
        url = self.store.engine.url.render_as_string(hide_password=False)
        return HookJob(verb=verb, code=code, module=module,
                       settings=self.settings.evolve(database_url=url),
                       error_log=self.error_log.path, gated=self.check_action is not None,
                       audit=audit, clock=portable_clock(self.store.clock),
                       app_class=self.app_class)

    @contextmanager
    def upgrading(self, new: Extension, from_version: str,
                  package: NewPackage | None = None) -> Iterator[list[ModuleRef]]:
        """Run `upgrade(from_version)` of the installed modules, from the new version's files
        at `new.root`, in one transaction that stays open while the caller switches to those
        files, and that stores `package` for every host: if a hook or the caller raises, no
        change a hook made stays and the old package stays stored. On a store another process
        can open, the hooks and that transaction are in a child (upgrade_process)."""
        job = self._job("upgrade", new.code, None, None)
        if job is None:
            with self._upgrading_here(new, from_version, package) as todo:
                yield todo
            return
        with upgrade_in_child(job, new, from_version, self.hook_seconds, package) as todo:
            yield todo

    @contextmanager
    def _upgrading_here(self, new: Extension, from_version: str,
                        package: NewPackage | None) -> Iterator[list[ModuleRef]]:
        done = self.installed(new.code)
        todo = [ref for ref in new.modules if ref in done]
        loader = ControllerLoader(lambda code: new.root if code == new.code else None)
        try:
            with self.store.atomic() as store:
                context = self._context(store, new)
                for ref in todo:
                    self._call(new, ref, "upgrade", context, loader, from_version)
                if package is not None:
                    put(store, package)
                yield todo
        finally:
            loader.release()

    def installed(self, code: str) -> set[ModuleRef]:
        """The extension's modules that are installed."""
        return {ModuleRef(type=m.type, code=m.code) for m in self.store.installed_modules(code)}

    def _usable(self, code: str) -> Extension:
        extension = self.catalogue.get(code)
        if extension.problem:
            raise ExtensionError(f"extension {code!r} cannot be used: {extension.problem}")
        return extension

    def _run(self, extension: Extension, todo: list[ModuleRef], hook: str,
             mark: Callable[[Store, ModuleRef], object],
             after: Callable[[Store], object] | None = None, *,
             audit: Actor | None = None, deleted: list[int] | None = None,
             ) -> list[ModuleRef]:
        if not todo and audit is None:
            return []
        with self.store.atomic() as store:
            context = self._context(store, extension)
            for ref in todo:
                self._call(extension, ref, hook, context, self.loader)
                mark(store, ref)
            if after is not None and todo:
                after(store)
            if audit is not None:
                _record(store, audit, hook, extension.code, todo, deleted)
        return todo

    def _context(self, store: Store, extension: Extension) -> Context:
        """install(), upgrade() and uninstall() add tasks through the allow-list, which lets
        the extension at hand add its own routes."""
        tasks = TaskRegistry(store, self.settings, gate=self._gate(extension),
                             check_args=self.check_args, origin=extension.code)
        return Context(tasks=tasks, log=self.error_log, config=self.settings)

    def _gate(self, extension: Extension) -> Gate:
        if self.check_action is None:
            return parse_action
        return partial(self.check_action, installing=extension.code)

    def _call(self, extension: Extension, ref: ModuleRef, hook: str, context: Context,
              loader: ControllerLoader, *args: str) -> None:
        where = f"extension {extension.code!r}, module {ref.name}"
        if ref not in extension.modules:
            return  # its file is gone (an upgrade dropped it): nothing left to call
        try:
            module = loader.load(extension.code, "admin", ref.name)
        except BadAction as error:
            raise ExtensionError(f"{where}: {error.message}") from error
        cls = controller_class(module, ref.code)
        if cls is None:
            raise ExtensionError(f"{where}: no Controller subclass {class_name_of(ref.code)}")
        try:
            method = getattr(cls(context), hook, None)
            if method is not None:  # a module without this hook has nothing to do
                method(*args)
        except KeyboardInterrupt:
            raise  # Ctrl-C: the user's, not the module's
        except BaseException as error:  # sys.exit() in install() too: one clear error
            raise ExtensionError(f"{where}: {hook}() failed: {error_text(error)}") from error


def _record(store: Store, audit: Actor, hook: str, code: str, todo: list[ModuleRef],
            deleted: list[int] | None) -> None:
    """The change's audit row, in its transaction: `extensions.install` of `extension x`."""
    detail = ", ".join(ref.name for ref in todo)
    if deleted is not None:
        detail += f"; {sum(deleted)} task(s) deleted"
    AuditLog(store).record(actor=audit.name, action=f"extensions.{hook}",
                           target=f"extension {code}", detail=detail, address=audit.address)


def _chosen(code: str, modules: Sequence[ModuleRef], module: str | None) -> list[ModuleRef]:
    if module is None:
        return list(modules)
    chosen = [ref for ref in modules if module in (ref.name, ref.code)]
    if not chosen:
        raise ExtensionNotFound(f"extension {code!r} has no module {module!r}")
    return chosen
