"""AuditLog: who changed what, from where; newest first, paged by id (keyset). A service
writes the entry of its own change, in that change's transaction (`audited`), so that the
entry is there exactly when the change is, whichever face (the CLI, the web) asked:

    with audited(store, Actor("ann", "10.0.0.7")) as change:
        user = change.store.accounts.add_user(...)
        change.record("users.add", f"user {user.name}")

A change by filter runs a chunk of tasks per transaction (a million rows never hold one long
write lock): its entry is written by `then` in its last chunk's transaction (`chunk_audit`).

Every value is made storable rather than refused (NUL and lone surrogates escaped, each cut
to its column), so that recording what a hostile request did can never fail because of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from taskdesk.errors import BadInput
from taskdesk.models.account_rules import fit
from taskdesk.models.accounts import Actor, NewAuditEntry
from taskdesk.store import AfterChunks, Store
from taskdesk.text import storable
from taskdesk.views import AuditView, audit_view

MAX_ACTOR = 64  # characters, as the columns hold them
MAX_ACTION = 64
MAX_TARGET = 255
MAX_ADDRESS = 64
MAX_PAGE = 1_000  # entries one call returns at most


class AuditLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, *, actor: str, action: str, target: str = "", detail: str = "",
               address: str | None = None) -> AuditView:
        entry = NewAuditEntry(
            actor=fit(actor, MAX_ACTOR), action=fit(action, MAX_ACTION),
            target=fit(target, MAX_TARGET), detail=storable(str(detail)) or None,
            address=None if address is None else fit(address, MAX_ADDRESS),
        )
        return audit_view(self.store.accounts.record(entry))

    def entries(self, *, cursor: int | None = None, limit: int = 50) -> list[AuditView]:
        """At most `limit` entries, newest first, with ids below `cursor` (the next page:
        the last entry's audit_id)."""
        if not 1 <= limit <= MAX_PAGE:
            raise BadInput(f"limit must be 1 to {MAX_PAGE}, not {limit}")
        return [audit_view(entry) for entry in self.store.accounts.audit(cursor=cursor,
                                                                          limit=limit)]


class Audited:
    """One change's transaction: its store, bound to it, and its audit entry."""

    def __init__(self, store: Store, actor: Actor | None) -> None:
        self.store = store
        self._actor = actor

    def record(self, action: str, target: str = "", detail: str = "") -> None:
        """The change's entry, naming who asked; none for a change made by code (no actor)."""
        if self._actor is not None:
            AuditLog(self.store).record(actor=self._actor.name, action=action, target=target,
                                        detail=detail, address=self._actor.address)


@contextmanager
def audited(store: Store, actor: Actor | None) -> Iterator[Audited]:
    """One transaction for the block's change and its audit entry: both or neither."""
    with store.atomic() as bound:
        yield Audited(bound, actor)


def chunk_audit(actor: Actor, action: str, target: str,
                detail: Callable[[int], str]) -> AfterChunks:
    """The audit entry of a change by filter, written in its last chunk's transaction with
    the total it changed."""
    def record(store: Store, changed: int) -> None:
        AuditLog(store).record(actor=actor.name, action=action, target=target,
                               detail=detail(changed), address=actor.address)
    return record
