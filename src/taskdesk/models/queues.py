"""Named queues: every task is in one (`default` unless told), and a runner may claim from
some of them only, with a cap on how many tasks of a queue it runs at once.

    desk.tasks.add("mail-42", "app.mail:send", {"user": 42}, queue="mail")
    taskdesk worker --queue mail:2 --queue reports --concurrency 4

Priorities order tasks within a queue. A runner that claims from several queues takes the
highest priority first over all of them, then the oldest (the lowest id): a queue is a
routing label, not a weight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from taskdesk.errors import BadQueue

DEFAULT_QUEUE = "default"
QUEUE_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MAX_CAP = 64  # a worker runs at most 64 threads (taskdesk worker --concurrency)


def check_queue(name: object) -> str:
    """The queue name itself, or BadQueue saying why it cannot be one."""
    if not isinstance(name, str):
        raise BadQueue(f"a queue name must be text, not {type(name).__name__}")
    if QUEUE_PATTERN.fullmatch(name) is None:
        shown = name if len(name) <= 80 else f"{name[:80]}…"
        raise BadQueue(f"bad queue name {shown!r}: {BadQueue.__doc__}")
    return name


@dataclass(frozen=True, kw_only=True)
class QueueLimit:
    """A queue a runner claims from, and how many of its tasks it runs at once (None: as
    many as it has threads)."""

    name: str
    cap: int | None = None

    @classmethod
    def parse(cls, text: str) -> QueueLimit:
        """`NAME` or `NAME:N` (the command line's --queue)."""
        name, colon, cap = text.partition(":")
        if not colon:
            return cls(name=check_queue(name))
        if not cap.isdigit() or not 1 <= int(cap) <= MAX_CAP:
            raise BadQueue(f"bad queue cap in {text!r}: write NAME:N with N from 1 to {MAX_CAP}")
        return cls(name=check_queue(name), cap=int(cap))


def queue_limits(items: Iterable[str | QueueLimit]) -> tuple[QueueLimit, ...]:
    """Limits from texts (`NAME`, `NAME:N`) or limits; a queue named twice is refused."""
    limits = tuple(item if isinstance(item, QueueLimit) else QueueLimit.parse(item)
                   for item in items)
    names = [limit.name for limit in limits]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise BadQueue(f"queue {twice[0]!r} is given more than once")
    return limits


def queue_names(limits: Sequence[QueueLimit]) -> tuple[str, ...] | None:
    """The names a claim filters on: None (every queue) when no limit is given."""
    return tuple(limit.name for limit in limits) or None


@dataclass(frozen=True, kw_only=True)
class QueuePause:
    """A paused queue: its tasks are not claimed until it is resumed (running ones finish).
    `paused_by`: who paused it (None: code)."""

    queue: str
    paused_at: datetime
    paused_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class QueueCounts:
    """A queue's tasks: pending (waiting), processing (running) and failed, and when the
    oldest pending one was added (None: none waits)."""

    queue: str
    waiting: int = 0
    running: int = 0
    failed: int = 0
    oldest_waiting_at: datetime | None = None


def counted(counts: QueueCounts, status: str, count: int,
            oldest: datetime | None = None) -> QueueCounts:
    """`counts` with `count` tasks of `status` (a status's value) added; `oldest`: the
    earliest date_added among them, kept for pending ones. Other statuses change nothing."""
    if status == "pending":
        earliest = min(filter(None, (counts.oldest_waiting_at, oldest)), default=None)
        return replace(counts, waiting=counts.waiting + count, oldest_waiting_at=earliest)
    if status == "processing":
        return replace(counts, running=counts.running + count)
    if status == "failed":
        return replace(counts, failed=counts.failed + count)
    return counts
