"""The shape of a queue: its tasks' counts, whether it is paused, and the live runners that
serve it, each with its cap (`--queue NAME:N`; None: as many as it has threads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from typing_extensions import TypedDict

from taskdesk.clock import isoformat
from taskdesk.models.queues import QueueCounts, QueuePause
from taskdesk.models.runners import RunnerInfo


class QueueServerView(TypedDict):
    runner_id: str
    hostname: str
    cap: int | None  # at most this many of the queue's tasks at once; None: no cap


class QueueView(TypedDict):
    queue: str
    waiting: int  # pending
    running: int  # processing
    failed: int
    oldest_waiting_seconds: float | None  # since the oldest pending task was added
    paused: bool
    paused_at: str | None
    paused_by: str | None
    served_by: list[QueueServerView]  # live runners that claim from it


def queue_views(counts: Sequence[QueueCounts], pauses: Sequence[QueuePause],
                runners: Sequence[RunnerInfo], *, now: datetime) -> list[QueueView]:
    """Every queue that holds tasks, is paused, or is named by a live runner, by name."""
    by_name = {c.queue: c for c in counts}
    paused = {p.queue: p for p in pauses}
    named = {name for info in runners for name in info.queues or ()}
    return [queue_view(by_name.get(name) or QueueCounts(queue=name), paused.get(name),
                       runners, now=now)
            for name in sorted({*by_name, *paused, *named})]


def queue_view(counts: QueueCounts, pause: QueuePause | None,
               runners: Sequence[RunnerInfo], *, now: datetime) -> QueueView:
    oldest = counts.oldest_waiting_at
    return QueueView(
        queue=counts.queue, waiting=counts.waiting, running=counts.running,
        failed=counts.failed,
        oldest_waiting_seconds=None if oldest is None else round(
            max((now - oldest).total_seconds(), 0.0), 3),
        paused=pause is not None,
        paused_at=None if pause is None else isoformat(pause.paused_at),
        paused_by=None if pause is None else pause.paused_by,
        served_by=[QueueServerView(runner_id=info.runner_id, hostname=info.hostname,
                                   cap=dict(info.caps).get(counts.queue))
                   for info in runners
                   if info.queues is None or counts.queue in info.queues],
    )
