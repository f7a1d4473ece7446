"""What runners are and hold: a claim's key on one task, an attempt waiting to be stored, the
claim a runner asks for next, a runner's registration, and the record of its host."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from taskdesk.models.tasks import Outcome, Task


def runner_id_of(hostname: str, pid: int, suffix: str) -> str:
    """A runner's id: its host, its pid and a random part (host_of reads the host back)."""
    return f"{hostname}:{pid}:{suffix}"


def host_of(runner_id: str | None) -> str | None:
    """The host a runner id names (runner_id_of), or None for an id of another shape."""
    if runner_id is None or runner_id.count(":") < 2:
        return None
    return runner_id.rsplit(":", 2)[0]


class ClaimKey(NamedTuple):
    """One claim's hold on one task: what finish, heartbeat and release match."""

    task_id: int
    token: str

    @classmethod
    def of(cls, task: Task) -> ClaimKey:
        """The key of a task as a claim returned it."""
        if task.claim_token is None:
            raise ValueError(f"task {task.task_id} was not returned by a claim")
        return cls(task.task_id, task.claim_token)


class Finished(NamedTuple):
    """An attempt that ended, waiting to be stored: the task as its claim returned it."""

    task: Task
    outcome: Outcome


class NextClaim(NamedTuple):
    """What a runner asks of the claim that follows its finishes (see finish_many). The
    runner chooses the claim's token, so that after a commit whose outcome it never heard it
    can ask what landed (Store.landed) instead of claiming again."""

    limit: int
    lease_seconds: float
    queues: Sequence[str] | None = None
    token: str | None = None  # None: the store draws one


@dataclass(frozen=True, kw_only=True)
class RunnerInfo:
    """A runner that has registered itself and keeps its `last_seen_at` fresh. Its
    `lease_seconds` is the lease it runs with (None: a runner from before it was recorded):
    it is forgotten when unseen for that long, and every runner sharing the database must
    run with the same one."""

    runner_id: str
    hostname: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    lease_seconds: float | None = None
    #: The queues it claims from (None: every queue): what it serves.
    queues: tuple[str, ...] | None = None
    #: The queues among them it runs at most N tasks of at once (`--queue NAME:N`).
    caps: tuple[tuple[str, int], ...] = ()

    def alive(self, now: datetime, default_lease: float) -> bool:
        """Seen within its own lease (`default_lease` when it recorded none)."""
        lease = self.lease_seconds if self.lease_seconds is not None else default_lease
        return self.last_seen_at >= now - timedelta(seconds=lease)


#: How long a host that no runner is left on stays listed (lost or stopped) after it was
#: last seen, unless an operator forgets it first: a day.
HOST_MEMORY_SECONDS = 86_400.0


@dataclass(frozen=True, kw_only=True)
class HostInfo:
    """The record of a host that runners ran on. Its runners' own rows say whether it is up;
    this record outlives them, so that a host whose runners all died uncleanly (their rows
    forgotten by recovery) is still known, as lost, with when it was last seen. A clean
    stop of its last runner sets `stopped_at`: such a host is stopped, not lost.

    `last_seen_at` is written at a runner's start and clean stop and when recovery forgets
    a dead runner of the host (its last heartbeat): heartbeats themselves write only the
    runner's row, so that they stay one cheap statement."""

    hostname: str
    first_seen_at: datetime
    last_seen_at: datetime
    stopped_at: datetime | None = None
