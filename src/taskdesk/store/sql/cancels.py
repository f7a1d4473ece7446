"""SqlCancelStore: the cancel over SQLAlchemy Core, for SQLite and PostgreSQL (see
store/cancels.py).

The rows are read and locked first (PostgreSQL: FOR UPDATE; SQLite has one writer), so that a
cancel and a runner's finish of the same task are serialised: a finish that comes first
leaves the task complete (or gone), which the cancel then leaves alone; one that comes after
finds the task no longer processing with its token, and its outcome is refused. Built on its
store's connections, so `store.atomic()` covers it (a cancel and its audit entry commit
together). Runners are told in the transaction (PostgreSQL: a notification delivered at
commit) or after it (SQLite's sockets): SqlConnections.announce_cancel_in/after. A cancelled
task's workflow dependents are cancelled in the same transaction (cascade.py), and returned
with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from taskdesk.models.tasks import Status
from taskdesk.store.cancels import CANCELLABLE, cancel_comment
from taskdesk.store.sql.cascade import cancel_dependents
from taskdesk.store.sql.rows import chunks
from taskdesk.store.sql.schema import task, task_log
from taskdesk.store.sql.tasks import check_exist

if TYPE_CHECKING:
    from taskdesk.store.sql.connections import SqlConnections

_CANCELLABLE = [status.value for status in CANCELLABLE]
_SEEN = (task.c.task_id, task.c.code, task.c.status, task.c.worker_id, task.c.attempts)


class SqlCancelStore:
    def __init__(self, db: SqlConnections) -> None:
        self.db = db

    def cancel(self, task_ids: Sequence[int], *, by: str,
               missing_ok: bool = False) -> list[int]:
        cancelled: list[int] = []
        running = False
        with self.db.write() as conn:
            if not missing_ok:
                check_exist(conn, task_ids)
            now = self.db.clock()
            for some in chunks(sorted(set(task_ids))):
                rows = conn.execute(
                    select(*_SEEN).where(task.c.task_id.in_(some),
                                         task.c.status.in_(_CANCELLABLE))
                    .order_by(task.c.task_id).with_for_update()).all()
                if not rows:
                    continue
                ids = [row.task_id for row in rows]
                conn.execute(update(task).where(task.c.task_id.in_(ids)).values(
                    status=Status.CANCELLED.value, worker_id=None, lease_expires_at=None,
                    claim_token=None, delayed=False, date_modified=now))
                conn.execute(insert(task_log), [{
                    "task_id": row.task_id, "code": row.code,
                    "status": Status.CANCELLED.value,
                    "comment": cancel_comment(by, Status(row.status), row.worker_id,
                                              row.attempts),
                    "duration": None, "attempt": row.attempts, "worker_id": row.worker_id,
                    "date_added": now} for row in rows])
                running = running or any(row.status == Status.PROCESSING for row in rows)
                cancelled.extend(ids)
            # their workflow dependents, transitively (run_on_failure ones are released)
            dependents = cancel_dependents(self.db, conn, cancelled) if cancelled else []
            if running:
                self.db.announce_cancel_in(conn)
        if running:
            self.db.announce_cancel_after()
        if dependents:
            self.db.announce_after()  # a run_on_failure task released may be due now
        return cancelled + dependents

    def cancelled_among(self, task_ids: Sequence[int]) -> list[int]:
        found: list[int] = []
        with self.db.read() as conn:
            for some in chunks(sorted(set(task_ids))):
                found.extend(conn.execute(
                    select(task.c.task_id).where(task.c.task_id.in_(some),
                                                 task.c.status == Status.CANCELLED.value)
                    .order_by(task.c.task_id)).scalars())
        return found
