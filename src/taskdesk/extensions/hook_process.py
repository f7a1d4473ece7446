"""Extension hooks in a child process: a package's `install()` or `uninstall()` is code from an
upload, and whatever it does (`os._exit(0)`, a segfault, an endless loop, megabytes of output)
must not stop the admin that asked for it.

The child does the whole change itself, as the in-process Lifecycle does it: the hooks, the
modules marked, the tasks the hooks added and the audit row, in one transaction of its own
connection, committed before it reports. If it dies or is killed before committing, the
database rolls that transaction back: all or nothing holds across the process boundary. The
parent waits at most `seconds`, then kills the child's whole process group, and raises one
ExtensionError that says what happened.

Only a store another process can open (SQLite, PostgreSQL) can be changed from a child; an
in-memory store lives in one process, so its hooks run in the caller (tests, `memory_desk`).
"""

from __future__ import annotations

import builtins
import contextlib
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import taskdesk.errors
from taskdesk.app_path import Application, open_app, preload
from taskdesk.clock import Clock
from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import ExtensionError, TaskdeskError
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.extensions.packages import Packages
from taskdesk.models.accounts import Actor
from taskdesk.models.extensions import ModuleRef
from taskdesk.store import Store, open_store
from taskdesk.text import error_text, storable

if TYPE_CHECKING:
    from taskdesk.extensions.lifecycle import Lifecycle

#: How long an install() or uninstall() may run, in seconds, before its process is killed.
HOOK_SECONDS = 120.0
#: The most of a failed hook's message the parent reports, in UTF-8 bytes.
MAX_MESSAGE_BYTES = 4_096
#: As task children: a fork of a small server that imported taskdesk, not of the web process.
START_METHOD: Final = "forkserver"
#: What the server imports once, besides the application's modules (app_path.preload).
PRELOAD = ("taskdesk.extensions.hook_process",)

Verb = Literal["install", "uninstall", "upgrade"]


class HookUnfinished(ExtensionError):
    """The hook's process died, or was killed, before it said how its change ended."""


@dataclass(frozen=True, kw_only=True)
class HookJob:
    """What the child is asked to do: data only, never code."""

    verb: Verb
    code: str
    module: str | None
    settings: Settings  # database_url: the store's own; app: the application to load
    error_log: Path
    gated: bool  # the allow-list applies to the tasks the hooks add (as in the parent)
    #: The application's class (taskdesk.app.Taskdesk), which the child opens to know its
    #: registered tasks; None: the child opens none (a lifecycle built without one).
    app_class: type[Application] | None = None
    audit: Actor | None = None  # who asked: the child writes the audit row in its transaction
    #: The parent store's clock when it was given one that can travel (a test's); None: the
    #: database's own, as every store has by default.
    clock: Clock | None = None


@dataclass(frozen=True, kw_only=True)
class HookDone:
    """The committed change: the modules done, and the waiting tasks an uninstall deleted."""

    modules: list[ModuleRef]
    tasks_deleted: int = 0


@dataclass(frozen=True, kw_only=True)
class HookRefused:
    """A taskdesk error the child raised before committing (nothing was stored)."""

    kind: str
    message: str
    #: The hook's own exception, when it is a built-in one with plain args (RuntimeError("x")):
    #: rebuilt as the error's __cause__. Never a class of the package: the parent would
    #: import the package's code to read it.
    cause: tuple[str, tuple[str | int | float, ...]] | None = None


def run_job(job: HookJob, *, seconds: float = HOOK_SECONDS) -> HookDone:
    """Run the job in a child; its result, or one ExtensionError (or the TaskdeskError the
    child raised, such as ExtensionNotFound) saying what went wrong."""
    process, receiver = start_child(job, child_main)
    try:
        return answer_of(job, wait_answer(process, receiver, seconds), seconds)
    finally:
        receiver.close()
        kill_group(process)


def start_child(job: HookJob, target: Callable[..., None], *extra: object,
                ) -> tuple[BaseProcess, Connection]:
    """The child, started with `target(its end of a pipe, job, *extra)`; this process's end.
    The child holds the only other end: its death reads as end of file."""
    context = multiprocessing.get_context(START_METHOD)
    context.set_forkserver_preload([*preload(job.settings, job.app_class), *PRELOAD])
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(target=target, args=(theirs, job, *extra),
                              name=f"taskdesk-{job.verb}-{job.code}")
    process.start()
    theirs.close()
    return process, ours


def wait_answer(process: BaseProcess, receiver: Connection, seconds: float,
                ) -> HookDone | HookRefused | str:
    if not receiver.poll(seconds):
        return f"did not finish within {seconds:g} s, so it was killed"
    try:
        answer = receiver.recv()
    except (EOFError, OSError):
        process.join(1.0)
        return f"ended ({_death(process.exitcode)}) before finishing"
    if isinstance(answer, HookDone | HookRefused):
        return answer
    return "answered something that is not a result"


def answer_of(job: HookJob, answer: HookDone | HookRefused | str, seconds: float) -> HookDone:
    if isinstance(answer, HookDone):
        return answer
    if isinstance(answer, HookRefused):
        kind = getattr(taskdesk.errors, answer.kind, None)
        if not (isinstance(kind, type) and issubclass(kind, TaskdeskError)):
            kind = ExtensionError
        raise kind(answer.message) from _rebuilt(answer.cause)
    raise HookUnfinished(f"extension {job.code!r}: the process running its {job.verb}() "
                         f"{answer}")


def _rebuilt(cause: tuple[str, tuple[str | int | float, ...]] | None) -> BaseException | None:
    kind = getattr(builtins, cause[0], None) if cause else None
    if cause and isinstance(kind, type) and issubclass(kind, BaseException):
        return kind(*cause[1])
    return None


def kill_group(process: BaseProcess) -> None:
    """The child leads its own process group: whatever it started dies with it."""
    if process.pid is not None:
        # gone already (or it never got as far as making its group): nothing to kill
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.join(5.0)
    if process.is_alive():
        process.kill()
        process.join()


def _death(exit_code: int | None) -> str:
    if exit_code is None:
        return "cause unknown"
    return f"signal {-exit_code}" if exit_code < 0 else f"exit code {exit_code}"


# -- the child ------------------------------------------------------------------------------------

def child_main(sender: Connection, job: HookJob) -> None:
    """The child's whole life: its own process group, no terminal output, one answer."""
    os.setsid()
    silence()
    try:
        sender.send(_do(job))
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit too: one clear error, never a traceback
        sender.send(refused(job, error))


def refused(job: HookJob, error: BaseException) -> HookRefused:
    """What the child says when the change raised: the error's kind and message, cut."""
    if isinstance(error, TaskdeskError):
        return HookRefused(kind=type(error).__name__, message=_cut(error.message),
                           cause=plain_cause(error.__cause__))
    return HookRefused(kind="ExtensionError", message=_cut(
        f"extension {job.code!r}: {job.verb}() failed: {error_text(error)}"))


def plain_cause(cause: BaseException | None) -> tuple[str, tuple[str | int | float, ...]] | None:
    """A built-in exception with plain args as data; anything else is left out."""
    kind = type(cause)
    if cause is None or kind.__module__ != "builtins" or getattr(builtins, kind.__name__,
                                                                   None) is not kind:
        return None
    args = cause.args
    if not all(type(arg) in (str, int, float) for arg in args):
        return None
    return kind.__name__, tuple(_cut(arg) if isinstance(arg, str) else arg for arg in args)


def silence() -> None:
    """What a hook prints goes nowhere: megabytes of it can neither fill a pipe nor a log."""
    null = os.open(os.devnull, os.O_WRONLY)
    for descriptor in (1, 2):
        os.dup2(null, descriptor)
    os.close(null)


def _cut(message: str) -> str:
    return storable(message, MAX_MESSAGE_BYTES)


def _do(job: HookJob) -> HookDone:
    lifecycle, close = child_lifecycle(job)
    try:
        if job.verb == "install":
            return HookDone(modules=lifecycle.install_here(job.code, job.module, job.audit))
        done, deleted = lifecycle.uninstall_here(job.code, job.module, job.audit)
        return HookDone(modules=done, tasks_deleted=deleted)
    finally:
        close()


def child_lifecycle(job: HookJob) -> tuple[Lifecycle, Callable[[], None]]:
    """The parent's Lifecycle rebuilt on a connection of the child's own, with the
    application's allow-list when the parent had one, running the hooks here."""
    from taskdesk.extensions.lifecycle import Lifecycle  # which imports this module

    app = open_app(job.settings, job.app_class) if job.app_class or job.gated else None
    settings = app.settings if app else job.settings
    store = _child_store(job, app)
    catalogue = Catalogue(settings.extensions_dir, sync=Packages(lambda: store, settings))
    log = ErrorLog(job.error_log, lines=lambda: store.error_lines, host=settings.host_name,
                   clock=store.clock).holding()  # the change's transaction holds the lock
    lifecycle = Lifecycle(catalogue, ControllerLoader(catalogue.locate), store, settings, log,
                          check_action=app.handlers.check if app and job.gated else None,
                          check_args=app.handlers.check_args if app and job.gated else None,
                          isolate_hooks=False)

    def close() -> None:
        log.release()  # the change is committed or rolled back: its lines are stored now
        store.close()
        if app is not None:
            app.close()

    return lifecycle, close


def _child_store(job: HookJob, app: Application | None) -> Store:
    """The application's store, or one of the child's own on the parent's clock."""
    if app is None or job.clock:
        return open_store(job.settings.database_url, clock=job.clock,
                          lease_seconds=job.settings.lease_seconds)
    return app.store


def portable_clock(clock: Clock) -> Clock | None:
    """A clock the child can use as it is: one that pickles (the PostgreSQL server's clock
    holds a connection and does not; the child measures its own)."""
    try:
        pickle.dumps(clock)
    except Exception:
        return None
    return clock
