"""An upgrade's `upgrade(from_version)` hooks in a child process, with the transaction kept open
while the installer switches to the new files (see Lifecycle.upgrading).

Two steps over one pipe: the child runs the hooks in its transaction and says which modules it
upgraded (or why it could not); the parent switches the files and says `commit` (or `abort`,
or dies: end of file); the child commits, or rolls back, and says it did. A child that dies, or
is killed, before its commit leaves the database as it was, and the installer puts the old
files back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection

from taskdesk.extensions.hook_process import (
    HookDone,
    HookJob,
    answer_of,
    child_lifecycle,
    kill_group,
    refused,
    silence,
    start_child,
    wait_answer,
)
from taskdesk.models.extensions import Extension, ModuleRef, NewPackage

COMMIT, ABORT = "commit", "abort"


class _Aborted(Exception):
    """The parent did not switch to the new files: the hooks' changes roll back."""


@contextmanager
def upgrade_in_child(job: HookJob, new: Extension, from_version: str, seconds: float,
                     package: NewPackage | None = None) -> Iterator[list[ModuleRef]]:
    """The child's upgraded modules, while its transaction (which also stores `package`)
    waits; committed when the block ends, rolled back when it raises. Errors: as run_job."""
    process, conn = start_child(job, upgrade_child_main, new, from_version, package)
    try:
        ready = answer_of(job, wait_answer(process, conn, seconds), seconds)
        try:
            yield ready.modules
        except BaseException:
            conn.send(ABORT)
            raise
        conn.send(COMMIT)
        answer_of(job, wait_answer(process, conn, seconds), seconds)
    finally:
        conn.close()
        kill_group(process)


def upgrade_child_main(conn: Connection, job: HookJob, new: Extension,
                       from_version: str, package: NewPackage | None = None) -> None:
    """The child: hooks, `ready`, wait for the word, commit, `done`."""
    os.setsid()
    silence()
    try:
        lifecycle, close = child_lifecycle(job)
        try:
            with lifecycle.upgrading(new, from_version, package) as modules:
                conn.send(HookDone(modules=modules))
                if conn.recv() != COMMIT:
                    raise _Aborted
        finally:
            close()
        conn.send(HookDone(modules=modules))
    except (_Aborted, EOFError):
        return  # rolled back: the parent is not waiting for a word
    except BaseException as error:
        conn.send(refused(job, error))
