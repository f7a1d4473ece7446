"""Changes made by someone (the admin web, the API, `taskdesk user`) and their audit row in one
transaction: the row is there exactly when the change is.

    with desk.audited("ann", address="10.0.0.7") as change:
        task = change.tasks.add("report", "reports:build")
        change.record("tasks.add", f"task {task.task_id}", task.code)

A change by filter runs a chunk of tasks per transaction (a million rows never hold one long
write lock), so it does not go through here: its audit row is written by `then` in its last
chunk's transaction (see `chunk_audit`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from taskdesk.accounts.audit import AuditLog
from taskdesk.accounts.service import Accounts
from taskdesk.registry import TaskRegistry as TaskRegistry  # what `.tasks` is, for the faces
from taskdesk.store import AfterChunks as AfterChunks  # what `then` is, for the faces
from taskdesk.store import SqlStore, Store

if TYPE_CHECKING:
    from taskdesk.app import Taskdesk


@dataclass(frozen=True)
class Actor:
    """Who asked, and from where (None: not over the network)."""

    name: str
    address: str | None = None


class Audited:
    """The desk's registry and accounts bound to one transaction, and its audit row."""

    def __init__(self, desk: Taskdesk, store: Store, actor: Actor) -> None:
        self.tasks = TaskRegistry(store, desk.settings, gate=desk.handlers.check,
                                  check_args=desk.handlers.check_args)
        self.accounts = Accounts(store, session_seconds=desk.settings.session_seconds,
                                 passwords=desk.accounts.passwords)
        self._audit = AuditLog(store)
        self._actor = actor

    def record(self, action: str, target: str, detail: str = "") -> None:
        self._audit.record(actor=self._actor.name, action=action, target=target,
                           detail=detail, address=self._actor.address)


@contextmanager
def audited(desk: Taskdesk, actor: Actor) -> Iterator[Audited]:
    """One transaction for the block's changes and its audit rows; idle workers are told
    after the commit (a task the block made due is then there to claim)."""
    with desk.store.atomic() as store:
        yield Audited(desk, store, actor)
    if isinstance(desk.store, SqlStore):
        desk.store.announce_after()


def chunk_audit(actor: Actor, action: str, target: str,
                detail: Callable[[int], str]) -> AfterChunks:
    """The audit row of a change by filter, written in its last chunk's transaction with the
    total it changed."""
    def record(store: Store, changed: int) -> None:
        AuditLog(store).record(actor=actor.name, action=action, target=target,
                               detail=detail(changed), address=actor.address)
    return record
