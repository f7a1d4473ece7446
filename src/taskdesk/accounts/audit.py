"""AuditLog: who changed what, from where; newest first, paged by id (keyset).

Every value is made storable rather than refused (NUL and lone surrogates escaped, each cut
to its column), so that recording what a hostile request did can never fail because of it."""

from __future__ import annotations

from taskdesk.errors import BadInput
from taskdesk.models.account_rules import fit
from taskdesk.models.accounts import NewAuditEntry
from taskdesk.store import Store
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
