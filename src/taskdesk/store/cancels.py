"""The cancel's storage seam, reached as `store.cancels` on every Store: the one entry point
through which every cancel goes (`desk.tasks.cancel`, `taskdesk task cancel`, the admin and
its API), so that what a cancel also does (a workflow's dependents) is added in one place.

A cancelled task is `cancelled` and never runs. A waiting task (pending, paused, failed)
simply becomes cancelled. A running one (processing) becomes cancelled too, and loses its
claim: its worker, lease and claim token are cleared, so that its runner's heartbeat, progress
and finish, which are all fenced by `status = processing` and the token, no longer hold it
and its outcome is refused (logged, never stored). Runners are told at once (store/notify.py)
so that they look at their claims now instead of at their next heartbeat. Each cancelled task
gets one task log entry, status `cancelled`, saying who cancelled it (and, for a running one,
which attempt on which runner). The contract suite (tests/store/test_cancel_store.py) runs
it on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from taskdesk.models.tasks import Status

#: What a cancel changes: the waiting tasks, and the running ones.
CANCELLABLE = (Status.PENDING, Status.PAUSED, Status.FAILED, Status.PROCESSING)


def cancel_comment(by: str, status: Status, worker_id: str | None, attempt: int) -> str:
    """The log entry of a cancel (every backend says the same)."""
    if status is Status.PROCESSING:
        return (f"cancelled by {by} while running attempt {attempt} on runner "
                f"{worker_id or '?'}: its outcome will not be stored")
    return f"cancelled by {by} (was {status.value})"


class CancelStore(Protocol):
    def cancel(self, task_ids: Sequence[int], *, by: str,
               missing_ok: bool = False) -> list[int]:
        """Cancel these tasks (see the module doc); returns the ids actually cancelled, in
        id order: those complete or already cancelled are left alone. An id that does not
        exist raises TaskNotFound before anything is changed, unless `missing_ok` (a
        change by filter, whose tasks may be deleted meanwhile). `by` says who cancelled,
        in the log entry."""
        ...

    def cancelled_among(self, task_ids: Sequence[int]) -> list[int]:
        """Which of these tasks are cancelled now: a runner asks it of the claims its
        heartbeat no longer held, to tell a cancel from a lost lease."""
        ...
