"""The task log in memory: reading, pruning and clearing it, and its counters, which never
fall: an entry pruned or cleared is folded into them as it goes (store/log_totals.py; the SQL
stores' are in sql/log.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from taskdesk.models.tasks import DurationHistogram, LogEntry, Status
from taskdesk.store import log_totals
from taskdesk.store.memory.state import MemoryState
from taskdesk.store.protocol import PRUNE_CHUNK

OUTCOMES = (Status.COMPLETE, Status.FAILED)


class MemoryLogVerbs(MemoryState):
    def log(self, *, task_id: int | None = None, cursor: int | None = None,
            limit: int = 50) -> list[LogEntry]:
        with self._lock:
            entries = [e for e in reversed(self._log)
                       if task_id in (None, e.task_id)
                       and (cursor is None or e.task_log_id < cursor)]
        return entries[:limit]

    def count_log(self, *, task_id: int | None = None) -> int:
        with self._lock:
            return sum(1 for e in self._log if task_id in (None, e.task_id))

    def prune_log(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        with self._lock:
            before = self.clock() - timedelta(seconds=retention_seconds)
            doomed = {e.task_log_id for e in self._log if e.date_added < before}
            doomed = set(sorted(doomed)[:limit])
            self._fold_out([e for e in self._log if e.task_log_id in doomed])
            self._log = [e for e in self._log if e.task_log_id not in doomed]
            return len(doomed)

    def clear_log(self) -> int:
        with self._lock:
            cleared = len(self._log)
            self._fold_out(self._log)
            self._log = []
            return cleared

    def log_counts(self) -> dict[Status, int]:
        return log_totals.log_counts(self._totals())

    def duration_histogram(self) -> DurationHistogram:
        return log_totals.histogram(self._totals())

    def host_counts(self) -> dict[str, dict[str, int]]:
        return log_totals.host_counts(self._totals())

    def _totals(self) -> log_totals.Totals:
        with self._lock:
            return log_totals.merged(self._folded, log_totals.entry_totals(self._log))

    def log_per_minute(self, since: datetime) -> dict[tuple[datetime, Status], int]:
        with self._lock:
            return dict(Counter(
                (e.date_added.replace(second=0, microsecond=0), e.status) for e in self._log
                if e.date_added >= since and e.status in OUTCOMES
                and log_totals.kind_of(e.status.value, e.comment) != log_totals.LOST_KIND))
